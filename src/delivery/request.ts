import type { EndpointRow } from "../db/endpoints";
import type { MessageRow } from "../db/messages";
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

/** Headers of one attempt: Standard Webhooks ids and signature (or bearer), then the endpoint's own. */
export async function webhookHeaders(
  msgId: string,
  body: string,
  endpoint: Pick<EndpointRow, "headers">,
  keys: ProfileKeys,
  nowSeconds: number,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = endpoint.headers
    ? (JSON.parse(endpoint.headers) as Record<string, string>)
    : {};
  headers["content-type"] = "application/json";
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
