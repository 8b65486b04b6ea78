import type { AuthType } from "../schemas/resources";
import { entriesForRefsStatement, type LoggedEntry, loggedEntries } from "./attempt-log";
import type { EndpointRow } from "./endpoints";
import { fromStored, type MessageRow, type StoredMessage } from "./messages";
import type { OpenRow, Pair } from "./open-deliveries";

export interface SecretForEndpoint {
  endpoint_id: string;
  type: AuthType;
  id: string;
  secret_enc: string;
}

/** A message a batch refers to, by app. */
export interface MessageRef {
  appId: string;
  messageId: string;
}

/** An endpoint as the consumer reads it: its row and its app's CloudEvents source. */
export interface DeliveryEndpoint extends EndpointRow {
  /** `apps.ce_source` of the endpoint's app, joined in the endpoints read (null: the default). */
  app_ce_source: string | null;
}

/** What a consumer batch needs from D1, read in one round trip. */
export interface BatchContext {
  endpoints: Map<string, DeliveryEndpoint>;
  /** Per endpoint: its profile's valid secrets, newest first. */
  secrets: Map<string, SecretForEndpoint[]>;
  /** What the log already holds about the first tries in the batch (duplicates show here). */
  logged: LoggedEntry[];
  /** Open rows of the first tries in the batch (a delivery already off the first-try path). */
  open: OpenRow[];
  /** Messages whose payload the queue message did not carry. */
  messages: Map<string, MessageRow>;
}

const ofIds = "SELECT value FROM json_each(?1)";

/**
 * One D1 round trip per queue batch: the endpoints and signing secrets of every endpoint in
 * it, what the log and the open rows already say about its first tries (so a delivery handed
 * out twice is not sent again once it has an outcome), and the messages too large to have
 * travelled in the queue. Reads only: no claim is written.
 */
export async function loadContext(
  db: D1Database,
  endpointIds: string[],
  firstTries: (MessageRef & Pair)[],
  messagesToRead: MessageRef[],
  now: number,
): Promise<BatchContext> {
  const idsJson = JSON.stringify([...new Set(endpointIds)]);
  const statements: D1PreparedStatement[] = [
    // The app's CloudEvents source rides along with its endpoints: no read of its own.
    db
      .prepare(
        `SELECT e.*, a.ce_source AS app_ce_source
         FROM endpoints e LEFT JOIN apps a ON a.id = e.app_id WHERE e.id IN (${ofIds})`,
      )
      .bind(idsJson),
    db
      .prepare(
        `SELECT e.id AS endpoint_id, p.type AS type, s.id AS id, s.secret_enc AS secret_enc
         FROM endpoints e JOIN auth_profiles p ON p.id = e.auth_profile_id
           JOIN auth_profile_secrets s ON s.profile_id = p.id
         WHERE e.id IN (${ofIds}) AND (s.expires_at IS NULL OR s.expires_at > ?2)
         ORDER BY s.id DESC`,
      )
      .bind(idsJson, now),
  ];
  if (firstTries.length > 0) {
    statements.push(entriesForRefsStatement(db, firstTries));
    statements.push(
      db
        .prepare(
          `SELECT * FROM open_deliveries WHERE (endpoint_id, message_id) IN
             (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
        )
        .bind(JSON.stringify(firstTries.map((t) => [t.endpointId, t.messageId]))),
    );
  }
  const readMessages = messagesToRead.length > 0;
  if (readMessages) statements.push(messagesStatement(db, messagesToRead));
  const results = await db.batch(statements);
  const [endpoints, secrets] = results;
  const bySecret = new Map<string, SecretForEndpoint[]>();
  for (const row of (secrets?.results ?? []) as SecretForEndpoint[]) {
    const list = bySecret.get(row.endpoint_id) ?? [];
    list.push(row);
    bySecret.set(row.endpoint_id, list);
  }
  const logged = firstTries.length > 0 ? loggedEntries(results[2]) : [];
  const open = firstTries.length > 0 ? ((results[3]?.results ?? []) as OpenRow[]) : [];
  const messageRows = readMessages
    ? ((results[results.length - 1]?.results ?? []) as StoredMessage[]).map(fromStored)
    : [];
  return {
    endpoints: new Map(((endpoints?.results ?? []) as DeliveryEndpoint[]).map((r) => [r.id, r])),
    secrets: bySecret,
    logged,
    open,
    messages: new Map(messageRows.map((r) => [r.id, r])),
  };
}

/** The message rows of these references. */
export function messagesStatement(db: D1Database, refs: MessageRef[]) {
  return db
    .prepare(
      `SELECT * FROM messages WHERE (app_id, id) IN
         (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
    )
    .bind(JSON.stringify(refs.map((r) => [r.appId, r.messageId])));
}

/** Reads message rows (for deliveries a wake handed out). */
export async function readMessages(
  db: D1Database,
  refs: MessageRef[],
): Promise<Map<string, MessageRow>> {
  if (refs.length === 0) return new Map();
  const { results } = await messagesStatement(db, refs).all<StoredMessage>();
  return new Map(results.map((r) => [r.id, fromStored(r)]));
}
