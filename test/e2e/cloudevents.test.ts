import type { IncomingHttpHeaders } from "node:http";
import { HTTP } from "cloudevents";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Hooklane,
  type Received,
  type Receiver,
  startHooklane,
  startReceiver,
} from "./harness";

/**
 * CloudEvents as a receiver outside the Workers runtime reads them: both HTTP modes parsed by
 * the `cloudevents` SDK, every attribute checked against the message, the payload text kept
 * exact (the SDK parses JSON and would round the big integer, so the raw body is checked), and
 * the Standard Webhooks signature verified over the body as received.
 */

/** A big integer no JSON parse keeps, a long decimal, spacing a re-serialisation would drop. */
const BIG = "12345678901234567890123";
const PAYLOAD = `{"invoice": "1001", "amount": ${BIG}, "rate": 0.10000000000000000001}`;
const CUSTOM_SOURCE = "https://example.com/billing";

interface Created {
  id: string;
  secret?: string;
  createdAt: string;
}

/** Node's header record as the SDK and standardwebhooks take it. */
function flat(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

describe("e2e CloudEvents: structured and binary, parsed by the SDK, signatures verified", () => {
  let hooklane: Hooklane | undefined;
  let receiver: Receiver | undefined;
  /** Path -> the endpoint's signing secret. */
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    receiver = await startReceiver();
    hooklane = await startHooklane();
  });

  afterAll(async () => {
    await hooklane?.stop();
    await receiver?.close();
  });

  /** An app (with `ceSource` when given) and one endpoint per CloudEvents mode. */
  async function appWithEndpoints(h: Hooklane, r: Receiver, name: string, ceSource?: string) {
    const app = await h.api("/v1/apps", { body: { name, ...(ceSource ? { ceSource } : {}) } });
    expect(app.status, h.logs()).toBe(201);
    const appId = (app.body as Created).id;
    for (const format of ["cloudevents", "cloudevents-binary"]) {
      const path = `/${name}/${format}`;
      const ep = await h.api(`/v1/apps/${appId}/endpoints`, {
        body: { url: r.url(path), format, eventTypes: ["invoice.*"] },
      });
      expect(ep.status).toBe(201);
      const secret = (ep.body as Created).secret ?? "";
      r.setSecret(path, secret);
      secrets.set(path, secret);
    }
    return appId;
  }

  /** Sends the payload text verbatim; returns the message id and its time, then both requests. */
  async function sendAndReceive(h: Hooklane, r: Receiver, appId: string, name: string) {
    const sent = await h.api(`/v1/apps/${appId}/messages`, {
      body: `{"eventType":"invoice.paid","payload":${PAYLOAD}}`,
    });
    expect(sent.status).toBe(202);
    const message = sent.body as Created;
    const of = (format: string) =>
      r.requests.find((q) => q.path === `/${name}/${format}` && q.webhookId === message.id);
    await r.waitFor(
      () => of("cloudevents") !== undefined && of("cloudevents-binary") !== undefined,
      30_000,
      `both deliveries of ${message.id}`,
    );
    const structured = of("cloudevents");
    const binary = of("cloudevents-binary");
    if (!structured || !binary) throw new Error("unreachable");
    return { message, structured, binary };
  }

  /** The signature verifies with the endpoint's secret over the exact body, and only over it. */
  function expectSigned(req: Received) {
    expect(req.verified, req.verifyError).toBe(true);
    const webhook = new Webhook(secrets.get(req.path) ?? "");
    const headers = flat(req.headers);
    expect(() => webhook.verify(req.body, headers, { jsonParse: false })).not.toThrow();
    expect(() => webhook.verify(req.body.replace(BIG, `${BIG}0`), headers)).toThrow();
  }

  /** Every attribute the SDK reads, against the message. */
  function expectEvent(req: Received, message: Created, source: string) {
    const event = HTTP.toEvent({ headers: flat(req.headers), body: req.body });
    if (Array.isArray(event)) throw new Error("a batch was not expected");
    expect(event.specversion).toBe("1.0");
    expect(event.id).toBe(message.id);
    expect(event.id).toBe(req.webhookId);
    expect(event.type).toBe("invoice.paid");
    expect(event.source).toBe(source);
    expect(event.time).toBe(message.createdAt);
    expect(event.datacontenttype).toBe("application/json");
    // The SDK's own JSON parse rounds the big integer; the raw body below keeps it.
    expect(event.data).toMatchObject({ invoice: "1001", amount: Number(BIG) });
  }

  it("the default source /hooklane/{appId}: both modes", async () => {
    if (!hooklane || !receiver) throw new Error("not started");
    const appId = await appWithEndpoints(hooklane, receiver, "plain");
    const { message, structured, binary } = await sendAndReceive(
      hooklane,
      receiver,
      appId,
      "plain",
    );

    expect(structured.headers["content-type"]).toBe("application/cloudevents+json");
    expect(structured.body).toContain(`"data":${PAYLOAD}}`);
    expect(structured.headers["ce-id"]).toBeUndefined();
    expectEvent(structured, message, `/hooklane/${appId}`);
    expectSigned(structured);

    expect(binary.headers["content-type"]).toBe("application/json");
    expect(binary.body).toBe(PAYLOAD);
    expect(binary.headers["ce-source"]).toBe(`/hooklane/${appId}`);
    expectEvent(binary, message, `/hooklane/${appId}`);
    expectSigned(binary);
  });

  it("the app's ceSource: both modes", async () => {
    if (!hooklane || !receiver) throw new Error("not started");
    const appId = await appWithEndpoints(hooklane, receiver, "billing", CUSTOM_SOURCE);
    const { message, structured, binary } = await sendAndReceive(
      hooklane,
      receiver,
      appId,
      "billing",
    );
    expect(structured.body).toContain(`"source":"${CUSTOM_SOURCE}"`);
    expect(structured.body).toContain(BIG);
    expectEvent(structured, message, CUSTOM_SOURCE);
    expectSigned(structured);
    expect(binary.body).toBe(PAYLOAD);
    expectEvent(binary, message, CUSTOM_SOURCE);
    expectSigned(binary);
  });
});
