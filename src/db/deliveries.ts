import type { DeliveryStatus } from "../schemas/messages";

export interface DeliveryRow {
  id: string;
  app_id: string;
  message_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** Cancels an endpoint's deliveries that have not finished (the endpoint was deleted). */
export function cancelOpenDeliveriesStatement(
  db: D1Database,
  endpointId: string,
  reason: string,
  now: number,
) {
  return db
    .prepare(
      `UPDATE deliveries SET status = 'cancelled', last_error = ?, updated_at = ?
       WHERE endpoint_id = ? AND status IN ('pending', 'delivering', 'failed')`,
    )
    .bind(reason, now, endpointId);
}
