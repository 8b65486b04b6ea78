import type { AuthType } from "../schemas/resources";
import type { EndpointRow } from "./endpoints";
import type { MessageRow } from "./messages";

export interface SecretForEndpoint {
  endpoint_id: string;
  type: AuthType;
  id: string;
  secret_enc: string;
}

export interface DeliveryContextRows {
  endpoints: Map<string, EndpointRow>;
  messages: Map<string, MessageRow>;
  /** Per endpoint: its profile's valid secrets, newest first. */
  secrets: Map<string, SecretForEndpoint[]>;
}

/** Everything a consumer batch needs (endpoints, messages, signing secrets) in one D1 round trip. */
export async function loadDeliveryContext(
  db: D1Database,
  endpointIds: string[],
  messageIds: string[],
  now: number,
): Promise<DeliveryContextRows> {
  const eps = JSON.stringify(endpointIds);
  const [endpoints, messages, secrets] = await db.batch<
    EndpointRow | MessageRow | SecretForEndpoint
  >([
    db.prepare("SELECT * FROM endpoints WHERE id IN (SELECT value FROM json_each(?))").bind(eps),
    db
      .prepare("SELECT * FROM messages WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(messageIds)),
    db
      .prepare(
        `SELECT e.id AS endpoint_id, p.type AS type, s.id AS id, s.secret_enc AS secret_enc
         FROM endpoints e JOIN auth_profiles p ON p.id = e.auth_profile_id
           JOIN auth_profile_secrets s ON s.profile_id = p.id
         WHERE e.id IN (SELECT value FROM json_each(?1)) AND (s.expires_at IS NULL OR s.expires_at > ?2)
         ORDER BY s.id DESC`,
      )
      .bind(eps, now),
  ]);
  const bySecret = new Map<string, SecretForEndpoint[]>();
  for (const row of (secrets?.results ?? []) as SecretForEndpoint[]) {
    const list = bySecret.get(row.endpoint_id) ?? [];
    list.push(row);
    bySecret.set(row.endpoint_id, list);
  }
  return {
    endpoints: new Map(((endpoints?.results ?? []) as EndpointRow[]).map((r) => [r.id, r])),
    messages: new Map(((messages?.results ?? []) as MessageRow[]).map((r) => [r.id, r])),
    secrets: bySecret,
  };
}
