import type { EndpointRow } from "../db/endpoints";
import type { MessageRow } from "../db/messages";
import type { DeliveryFormat } from "../schemas/formats";
import type { AuthType } from "../schemas/resources";
import { signatureHeader } from "./signing";

export const USER_AGENT = "Hooklane/1 (+https://github.com/hooklane/hooklane)";

/** A profile's secrets still valid for signing, newest first (two or more during a rotation). */
export interface ProfileKeys {
  type: AuthType;
  secrets: string[];
}

/**
 * The body a receiver gets, built once per message by string concatenation: the payload is
 * stored as JSON text and goes out as is, never parsed and re-serialised. The timestamp is the
 * event's, so every retry carries the same bytes.
 */
export function webhookBody(
  msg: Pick<MessageRow, "event_type" | "created_at" | "payload">,
): string {
  return `{"type":${JSON.stringify(msg.event_type)},"timestamp":"${new Date(msg.created_at).toISOString()}","data":${msg.payload}}`;
}

/** What a message's request is made of, whatever the endpoint's format. */
export type RequestMessage = Pick<MessageRow, "id" | "event_type" | "created_at" | "payload">;

/** A request as the endpoint's format shapes it, before signing: its body and its own headers. */
export interface FormattedRequest {
  body: string;
  /** `content-type` and, in CloudEvents binary mode, the `ce-*` attributes. */
  headers: Record<string, string>;
}

/**
 * The body and format headers of a message's request, for every format. Pure and built by
 * string concatenation: the payload text goes out exactly as the sender sent it (a JSON parse
 * would round big integers). Everything it uses is stored, so a retry, a replay and the
 * dashboard's rebuild all produce the same bytes. `ceSource` is the app's CloudEvents source
 * (see ceSourceOf); standard-webhooks ignores it.
 */
export function buildRequest(
  format: DeliveryFormat,
  msg: RequestMessage,
  ceSource: string,
): FormattedRequest {
  if (format === "standard-webhooks")
    return { body: webhookBody(msg), headers: { "content-type": "application/json" } };
  const id = JSON.stringify(msg.id);
  const type = JSON.stringify(msg.event_type);
  const source = JSON.stringify(ceSource);
  const time = new Date(msg.created_at).toISOString();
  if (format === "cloudevents")
    return {
      body: `{"specversion":"1.0","id":${id},"type":${type},"source":${source},"time":"${time}","datacontenttype":"application/json","data":${msg.payload}}`,
      headers: { "content-type": "application/cloudevents+json" },
    };
  // Binary mode: message ids, event type names and sources are restricted to characters that
  // need no percent-encoding in a header (see CeSource), so they go out as they are.
  return {
    body: msg.payload,
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": msg.id,
      "ce-type": msg.event_type,
      "ce-source": ceSource,
      "ce-time": time,
    },
  };
}

/**
 * One message's envelope inside a batch request (formats that have a batch form): the usual
 * body, with the message's id first for standard-webhooks (the request's webhook-id is the
 * batch's), and the structured CloudEvent as is (it carries its id). Built by concatenation
 * like `buildRequest`, so the payload keeps its exact bytes.
 */
export function batchEnvelope(format: DeliveryFormat, msg: RequestMessage, ceSource: string) {
  const built = buildRequest(format, msg, ceSource);
  if (format !== "standard-webhooks") return built.body;
  return `{"id":${JSON.stringify(msg.id)},${built.body.slice(1)}`;
}

/** The content type of a batch request: CloudEvents' batch mode, or a plain JSON array. */
export function batchContentType(format: DeliveryFormat): string {
  return format === "cloudevents" ? "application/cloudevents-batch+json" : "application/json";
}

/**
 * Headers of one attempt: the endpoint's own, then the format's (`content-type`, `ce-*`: they
 * win over a custom header of the same name), then Standard Webhooks ids and signature (or
 * bearer) over `body`, the exact bytes sent.
 */
export async function webhookHeaders(
  msgId: string,
  body: string,
  endpoint: Pick<EndpointRow, "headers">,
  keys: ProfileKeys,
  nowSeconds: number,
  formatHeaders: Record<string, string> = { "content-type": "application/json" },
): Promise<Record<string, string>> {
  const headers: Record<string, string> = endpoint.headers
    ? (JSON.parse(endpoint.headers) as Record<string, string>)
    : {};
  for (const [name, value] of Object.entries(formatHeaders)) {
    // A custom header differing only in case would otherwise be sent twice, merged.
    for (const own of Object.keys(headers)) if (own.toLowerCase() === name) delete headers[own];
    headers[name] = value;
  }
  headers["user-agent"] = USER_AGENT;
  headers["webhook-id"] = msgId;
  headers["webhook-timestamp"] = String(nowSeconds);
  if (keys.type === "bearer") {
    const token = keys.secrets[0];
    if (token) headers.authorization = `Bearer ${token}`;
  } else {
    const kind = keys.type;
    headers["webhook-signature"] = await signatureHeader(
      keys.secrets.map((secret) => ({ kind, secret })),
      msgId,
      nowSeconds,
      body,
    );
  }
  return headers;
}
