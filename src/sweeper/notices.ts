import { markNoticesSent, noticesSentTo, operatorEventsAfter } from "../db/operator-events";
import { acceptMessage } from "../ingest/accept";
import { log } from "../lib/log";
import { placementsOf, shardDb } from "../lib/topology";

/** Most operator events sent on per sweep; the next sweep takes the rest. */
const NOTICES_PER_SWEEP = 100;

/**
 * With `OPERATOR_APP_ID` set, each operator event (an endpoint Hooklane disabled) also becomes
 * a message in that app, delivered by Hooklane itself to whatever endpoints the operator
 * registered there. The event is already in D1; sending it on is the sweeper's job, so the
 * consumer never calls ingest. An idempotency key per event makes a repeated sweep harmless.
 * Returns how many were sent on.
 */
export async function forwardOperatorEvents(
  env: Env,
  db: D1Database,
  now: number,
): Promise<number> {
  const operatorApp = env.OPERATOR_APP_ID;
  if (!operatorApp) return 0;
  const events = await operatorEventsAfter(db, await noticesSentTo(db), NOTICES_PER_SWEEP);
  if (events.length === 0) return 0;
  const placed = (await placementsOf(env, [operatorApp])).get(operatorApp);
  const operatorDb = shardDb(env, placed?.shard ?? 0);
  let sent = 0;
  let mark: string | null = null;
  for (const e of events) {
    const payload = {
      appId: e.app_id,
      endpointId: e.endpoint_id,
      url: e.url,
      reason: e.detail,
      disabledAt: new Date(e.created_at).toISOString(),
    };
    try {
      await acceptMessage(env, operatorDb, {
        appId: operatorApp,
        eventType: e.type,
        payload,
        rawPayload: JSON.stringify(payload),
        idempotencyKey: `${e.type}:${e.id}`,
      });
      sent++;
      mark = e.id;
    } catch (err) {
      // Kept for the next sweep, in order.
      log("operator notice failed", { eventId: e.id, error: String(err) });
      break;
    }
  }
  if (mark !== null) await markNoticesSent(db, mark, now);
  return sent;
}
