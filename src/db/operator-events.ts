import { newId } from "../lib/ids";

/** Records an operator event (an endpoint disabled by 410 Gone or by auto-disable). */
export function operatorEventStatement(
  db: D1Database,
  e: { appId: string; type: string; endpointId: string | null; detail: string },
  now: number,
) {
  return db
    .prepare(
      "INSERT INTO operator_events (id, app_id, type, endpoint_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(newId("evt", now), e.appId, e.type, e.endpointId, e.detail, now);
}
