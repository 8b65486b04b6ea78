import { type ArchivedMessage, toMessageRow } from "../archive/format";
import { archiveBucket, findArchived } from "../archive/store";
import { toMessage } from "../db/messages";
import { timeOfId } from "../lib/ids";
import type { PayloadSlot } from "./exact-json";

/** The header on every answer read from the archive (the body also says `"archived": true`). */
export const ARCHIVED_HEADER = "hooklane-archived";

const MESSAGE_ID = /^msg_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A message of an app that left D1 for the archive, or null: no archive bucket, an id that is
 * not a message id, a time still to come, or an hour the archive does not hold it in.
 */
export async function archivedMessage(
  env: Env,
  appId: string,
  messageId: string,
): Promise<ArchivedMessage | null> {
  const bucket = archiveBucket(env);
  if (!bucket || !MESSAGE_ID.test(messageId) || timeOfId(messageId) > Date.now()) return null;
  return findArchived(bucket, appId, messageId);
}

/** An archived message in the API's message shape, marked as read from the archive. */
export function toArchivedMessage(m: ArchivedMessage, appId: string, payload: PayloadSlot) {
  return { ...toMessage(toMessageRow(m, appId), m.deliveries, payload), archived: true as const };
}

/** Marks an answer as read from the archive. */
export function markArchived<R extends Response>(res: R): R {
  res.headers.set(ARCHIVED_HEADER, "true");
  return res;
}
