/**
 * What the archive keeps in R2 and under which keys (docs/ARCHITECTURE.md, "Archive"): one gzip
 * NDJSON object per app and hour of message creation, one line per message with its deliveries,
 * its log entries and its dead letters; big hours in numbered parts.
 */

import { attemptId, type LoggedEntry, type LoggedStatus, parseAttemptId } from "../db/attempt-log";
import type { DeadLetterRow } from "../db/dead-letters";
import { type DeliverySummary, filteredOf, type MessageRow } from "../db/messages";
import { iso } from "../db/page";
import { timeOfId } from "../lib/ids";

const HOUR_MS = 3_600_000;

/** An hour as the archive names it: `2026-11-20T13` (UTC). */
export type Hour = string;

export const HOUR_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}$/;

/** The hour a time falls in. */
export function hourOf(ms: number): Hour {
  return new Date(ms).toISOString().slice(0, 13);
}

/** When an hour starts (ms), or NaN when it is not an hour. */
export function hourStart(hour: Hour): number {
  return HOUR_PATTERN.test(hour) ? Date.parse(`${hour}:00:00.000Z`) : Number.NaN;
}

/** When an hour ends (ms): the next one's start. */
export function hourEnd(hour: Hour): number {
  return hourStart(hour) + HOUR_MS;
}

/** The hour a message was created in (its id carries the time). */
export function hourOfMessage(messageId: string): Hour {
  return hourOf(timeOfId(messageId));
}

/** Where an app's archive lives: every object of the app starts with this. */
export function appPrefix(appId: string): string {
  return `apps/${appId}/`;
}

/** Every object of one hour of an app (the hour's first part and its later ones) starts with this. */
export function hourPrefix(appId: string, hour: Hour): string {
  return `${appPrefix(appId)}${hour}.`;
}

/**
 * An hour's part: the first is `apps/{app}/{hour}.ndjson.gz`, later ones (an hour too big for
 * one sweeper pass) `apps/{app}/{hour}.part-0002.ndjson.gz` and on.
 */
export function partKey(appId: string, hour: Hour, part: number): string {
  const suffix = part <= 1 ? "" : `part-${String(part).padStart(4, "0")}.`;
  return `${hourPrefix(appId, hour)}${suffix}ndjson.gz`;
}

/** The part number a key names (1 for the hour's first object), or null when it is no part. */
export function partOfKey(key: string): number | null {
  const m = /T\d{2}\.(?:part-(\d{4,})\.)?ndjson\.gz$/.exec(key);
  if (!m) return null;
  return m[1] === undefined ? 1 : Number(m[1]);
}

/** The hour a key of `appPrefix(appId)` belongs to. */
export function hourOfKey(appId: string, key: string): Hour {
  return key.slice(appPrefix(appId).length, appPrefix(appId).length + 13);
}

/**
 * The expiry index: one empty object per archived hour and app, `hours/{hour}/{app}`, so the
 * sweeper finds what is past ARCHIVE_RETENTION_DAYS with one ordered list, whatever the number
 * of apps (and for apps deleted since).
 */
export const MARKER_PREFIX = "hours/";

export function markerKey(hour: Hour, appId: string): string {
  return `${MARKER_PREFIX}${hour}/${appId}`;
}

/** The hour and app of a marker key, or null. */
export function parseMarker(key: string): { hour: Hour; appId: string } | null {
  const m = /^hours\/(\d{4}-\d{2}-\d{2}T\d{2})\/(.+)$/.exec(key);
  return m?.[1] && m[2] ? { hour: m[1], appId: m[2] } : null;
}

/** What an object says about itself (R2 custom metadata, strings only). */
export interface PartMeta {
  /** The first and last message id it holds (parts of an hour hold ascending, disjoint ranges). */
  first: string;
  last: string;
  messages: number;
}

export function toCustomMetadata(meta: PartMeta): Record<string, string> {
  return { first: meta.first, last: meta.last, messages: String(meta.messages) };
}

export function fromCustomMetadata(raw: Record<string, string> | undefined): PartMeta | null {
  if (!raw?.first || !raw.last) return null;
  return { first: raw.first, last: raw.last, messages: Number(raw.messages ?? 0) };
}

/** One log entry as archived: the attempt's public id carries its log row and index. */
export interface ArchivedEntry {
  id: string;
  endpointId: string;
  /** 0 for a settlement without a request (cancelled, expired, dead before sending). */
  attempt: number;
  status: LoggedStatus;
  at: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface ArchivedLetter {
  endpointId: string;
  reason: string;
  attempts: number;
  deadAt: string;
}

/** One line of an archive object: a message as it was when it left D1. */
export interface ArchivedMessage {
  id: string;
  eventType: string;
  createdAt: string;
  eventId: string | null;
  idempotencyKey: string | null;
  endpoints: string[];
  /** Endpoints whose payload filter refused it; absent when none did (and in older lines). */
  filtered?: string[];
  /** Each delivery's status when the message was archived (none was open: see the sweeper). */
  deliveries: DeliverySummary[];
  log: ArchivedEntry[];
  deadLetters: ArchivedLetter[];
  /**
   * The payload exactly as the sender wrote it, as a JSON string: `JSON.parse(line).payload` is
   * the stored text byte for byte (big integers, long decimals, whitespace). It is a string, not
   * spliced in as JSON, because a sender's payload may hold line breaks between its tokens, and
   * NDJSON needs one line per message.
   */
  payload: string;
}

/** The archive line of a message with what happened to it. */
export function toLine(
  row: MessageRow,
  endpoints: string[],
  deliveries: DeliverySummary[],
  logged: LoggedEntry[],
  letters: DeadLetterRow[],
): string {
  const line: ArchivedMessage = {
    id: row.id,
    eventType: row.event_type,
    createdAt: iso(row.created_at),
    eventId: row.event_id,
    idempotencyKey: row.idempotency_key,
    endpoints,
    ...(row.filtered ? { filtered: filteredOf(row) } : {}),
    deliveries,
    log: logged.map((l) => {
      const [, attempt, status, at, durationMs, statusCode, error, excerpt] = l.entry;
      return {
        id: attemptId(l.rowId, l.index),
        endpointId: l.endpointId,
        attempt,
        status,
        at: iso(at),
        durationMs,
        statusCode,
        error,
        responseExcerpt: excerpt,
      };
    }),
    deadLetters: letters.map((d) => ({
      endpointId: d.endpoint_id,
      reason: d.reason,
      attempts: d.attempts,
      deadAt: iso(d.dead_at),
    })),
    // The stored text itself, never a re-serialized parse of it.
    payload: row.payload,
  };
  return JSON.stringify(line);
}

/** The message id a line starts with (lines are written with `id` first), or null. */
export function idOfLine(line: string): string | null {
  const m = /^\{"id":"([^"]+)"/.exec(line);
  return m?.[1] ?? null;
}

export function parseLine(line: string): ArchivedMessage {
  return JSON.parse(line) as ArchivedMessage;
}

/** An archived message as the message row the API's mappers take. */
export function toMessageRow(m: ArchivedMessage, appId: string): MessageRow {
  return {
    id: m.id,
    app_id: appId,
    event_type: m.eventType,
    payload: m.payload,
    event_id: m.eventId,
    idempotency_key: m.idempotencyKey,
    endpoints: JSON.stringify(m.endpoints.map((e) => e.slice(3))),
    filtered: m.filtered ? JSON.stringify(m.filtered.map((e) => e.slice(3))) : null,
    created_at: timeOfId(m.id),
  };
}

/** An archived message's log entries as the attempt-log readers return them. */
export function toLoggedEntries(m: ArchivedMessage): LoggedEntry[] {
  const out: LoggedEntry[] = [];
  for (const e of m.log) {
    const at = parseAttemptId(e.id);
    if (!at) continue;
    out.push({
      rowId: at.rowId,
      index: at.index,
      endpointId: e.endpointId,
      entry: [
        m.id,
        e.attempt,
        e.status,
        Date.parse(e.at),
        e.durationMs,
        e.statusCode,
        e.error,
        e.responseExcerpt,
      ],
    });
  }
  return out;
}

/** gzip of a text. */
export async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

/** The text of a gzip stream. */
export async function gunzip(body: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(body.pipeThrough(new DecompressionStream("gzip"))).text();
}

/** The lines of an object's text (the last line ends with a newline too). */
export function linesOf(text: string): string[] {
  return text.split("\n").filter((l) => l.length > 0);
}
