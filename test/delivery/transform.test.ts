import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, newApp, newEndpoint } from "../helpers";
import {
  attemptRows,
  deadLetterOf,
  deliveryRow,
  receiver,
  runConsumer,
  seedDeliveries,
} from "./fixtures";

afterEach(() => {
  vi.restoreAllMocks();
});

const RENAME =
  '{ "body": { "event": type, "orderId": data.order, "total": data.amount }, "path": "/orders/" & data.order, "headers": { "x-event": type } }';

describe("an endpoint's transform in the consumer", () => {
  it("sends the transformed body, signed as sent, to the URL with its path and header", async () => {
    const { appId } = await newApp();
    const ep = await newEndpoint(appId, {
      url: "https://a.example.com/hook",
      headers: { "x-tenant": "t1" },
      transform: RENAME,
    });
    const seen = receiver(() => new Response("ok"));
    const [task] = await seedDeliveries(appId, [ep.id], { order: "o-7", amount: 42 });
    if (!task) throw new Error("no task");
    await runConsumer([task]);

    expect(seen).toHaveLength(1);
    const req = seen[0];
    if (!req) throw new Error("no request");
    expect(req.url).toBe("https://a.example.com/hook/orders/o-7");
    expect(req.body).toBe('{"event":"order.created","orderId":"o-7","total":42}');
    expect(req.headers["x-event"]).toBe("order.created");
    expect(req.headers["x-tenant"]).toBe("t1");
    expect(new Webhook(ep.secret).verify(req.body, req.headers)).toEqual(JSON.parse(req.body));
    expect(await deliveryRow(task.deliveryId)).toMatchObject({ status: "succeeded" });

    // The dashboard's rebuilt request shows what went out.
    const attempts = await call<{ data: { id: string }[] }>(
      "GET",
      `/v1/apps/${appId}/messages/${task.messageId}/attempts`,
    );
    const attemptId = attempts.body.data[0]?.id;
    const rebuilt = await call<{
      url: string;
      body: string;
      headers: { name: string; value: string }[];
      sent: boolean;
    }>("GET", `/v1/apps/${appId}/messages/${task.messageId}/attempts/${attemptId}/request`);
    expect(rebuilt.body).toMatchObject({ url: req.url, body: req.body, sent: true });
    const header = (name: string) => rebuilt.body.headers.find((h) => h.name === name)?.value;
    expect(header("x-event")).toBe("order.created");
    expect(header("webhook-signature")).toBe(req.headers["webhook-signature"]);
  });

  it("dead-letters a delivery whose transform fails, as an attempt with the error, while the batch goes on", async () => {
    const { appId } = await newApp();
    const bad = await newEndpoint(appId, {
      url: "https://bad.example.com/hook",
      transform: '$error("no customer on " & type)',
    });
    const runaway = await newEndpoint(appId, {
      url: "https://slow.example.com/hook",
      transform: '$count([1..5000].($string($) & "x").($ & "y"))',
    });
    const good = await newEndpoint(appId, { url: "https://good.example.com/hook" });
    const seen = receiver(() => new Response("ok"));
    const tasks = await seedDeliveries(appId, [bad.id, runaway.id, good.id], { n: 1 });
    const [badTask, runawayTask, goodTask] = tasks;
    if (!badTask || !runawayTask || !goodTask) throw new Error("no tasks");
    const result = await runConsumer(tasks);

    expect(result.retryMessages).toEqual([]);
    expect(seen.map((r) => r.url)).toEqual(["https://good.example.com/hook"]);
    expect(await deliveryRow(goodTask.deliveryId)).toMatchObject({ status: "succeeded" });

    expect(await deliveryRow(badTask.deliveryId)).toMatchObject({ status: "dead" });
    expect(await attemptRows(badTask.deliveryId)).toMatchObject([
      { attempt: 1, status_code: null, error: "transform_error: no customer on order.created" },
    ]);
    expect(await deadLetterOf(badTask.deliveryId)).toMatchObject({
      reason: "transform_error: no customer on order.created",
    });

    expect(await deliveryRow(runawayTask.deliveryId)).toMatchObject({ status: "dead" });
    const [slow] = await attemptRows(runawayTask.deliveryId);
    expect(slow?.error).toMatch(/^transform_error: evaluation exceeded \d+ steps \(time cap\)$/);

    // The dashboard's rebuilt request says nothing went out, and why.
    const attempts = await call<{ data: { id: string; endpointId: string }[] }>(
      "GET",
      `/v1/apps/${appId}/messages/${badTask.messageId}/attempts`,
    );
    const failedId = attempts.body.data.find((a) => a.endpointId === bad.id)?.id;
    const rebuilt = await call<{ sent: boolean; notes: string[]; url: string }>(
      "GET",
      `/v1/apps/${appId}/messages/${badTask.messageId}/attempts/${failedId}/request`,
    );
    expect(rebuilt.body.sent).toBe(false);
    expect(rebuilt.body.url).toBe("https://bad.example.com/hook");
    expect(rebuilt.body.notes.join(" ")).toContain(
      "No request went out: the endpoint's transform failed (transform_error: no customer on order.created)",
    );
  });
});
