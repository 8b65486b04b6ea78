/**
 * The archive bucket: writing an hour's part (idempotent: a key is chosen from what the hour
 * already holds, and an existing object is merged, never blindly replaced), reading a message
 * back by id, listing an app's hours, and deleting hours past ARCHIVE_RETENTION_DAYS.
 */

import {
  type ArchivedMessage,
  appPrefix,
  fromCustomMetadata,
  gunzip,
  gzip,
  type Hour,
  hourEnd,
  hourOfKey,
  hourOfMessage,
  hourPrefix,
  idOfLine,
  linesOf,
  MARKER_PREFIX,
  markerKey,
  type PartMeta,
  parseLine,
  parseMarker,
  partKey,
  partOfKey,
  toCustomMetadata,
} from "./format";

/** The deployment's archive bucket, or undefined when it has none (retention then purges). */
export function archiveBucket(env: Env): R2Bucket | undefined {
  return (env as { ARCHIVE?: R2Bucket }).ARCHIVE;
}

/** One object of an hour, as a listing shows it. */
export interface PartInfo {
  key: string;
  part: number;
  size: number;
  meta: PartMeta | null;
}

/**
 * R2 lists return custom metadata only when asked (`include`); the runtime takes the option,
 * the generated types leave it out.
 */
type ListWithMetadata = R2ListOptions & { include: ("httpMetadata" | "customMetadata")[] };

/** Every object of `prefix`, following the listing's pages, with their custom metadata. */
async function listAll(
  bucket: R2Bucket,
  prefix: string,
  startAfter?: string,
  stop?: (o: R2Object) => boolean,
): Promise<R2Object[]> {
  const out: R2Object[] = [];
  let cursor: string | undefined;
  for (;;) {
    const options: ListWithMetadata = {
      prefix,
      cursor,
      startAfter: cursor === undefined ? startAfter : undefined,
      include: ["customMetadata"],
    };
    const page = await bucket.list(options);
    for (const o of page.objects) {
      out.push(o);
      if (stop?.(o)) return out;
    }
    if (!page.truncated) return out;
    cursor = page.cursor;
  }
}

/** The parts of one hour of an app, in part order. */
export async function hourParts(bucket: R2Bucket, appId: string, hour: Hour): Promise<PartInfo[]> {
  const objects = await listAll(bucket, hourPrefix(appId, hour));
  const parts: PartInfo[] = [];
  for (const o of objects) {
    const part = partOfKey(o.key);
    if (part === null) continue;
    parts.push({ key: o.key, part, size: o.size, meta: fromCustomMetadata(o.customMetadata) });
  }
  return parts.sort((a, b) => a.part - b.part);
}

/** The lines of an object, or null when it is not there. */
async function readLines(bucket: R2Bucket, key: string): Promise<string[] | null> {
  const obj = await bucket.get(key);
  if (!obj) return null;
  return linesOf(await gunzip(obj.body));
}

/** Lines by message id, sorted, as one object's text. */
function render(lines: Map<string, string>): { text: string; meta: PartMeta } {
  const ids = [...lines.keys()].sort();
  const text = ids.map((id) => `${lines.get(id)}\n`).join("");
  return {
    text,
    meta: { first: ids[0] ?? "", last: ids[ids.length - 1] ?? "", messages: ids.length },
  };
}

/** Where a pass's messages went. */
export interface Written {
  /** The objects written: usually one. */
  keys: string[];
  /** Lines merged into parts that already covered their ids (a pass redone after a crash). */
  merged: number;
  bytes: number;
}

const covers = (m: PartMeta | null, id: string) => m !== null && m.first <= id && id <= m.last;

/**
 * Writes the lines of one pass (messages of one app and hour, ids ascending) to R2 and returns
 * once they are stored. A line whose id falls in the range of a part the hour already has goes
 * into that part, merged with what it holds (the same pass again, after a crash before its D1
 * rows went: the object is rewritten, never duplicated); the others become the hour's next part.
 * The hour's marker (the expiry index) is written first.
 */
export async function writePart(
  bucket: R2Bucket,
  appId: string,
  hour: Hour,
  lines: { id: string; line: string }[],
): Promise<Written> {
  await bucket.put(markerKey(hour, appId), "");
  const parts = await hourParts(bucket, appId, hour);
  const byKey = new Map<string, { id: string; line: string }[]>();
  const fresh: { id: string; line: string }[] = [];
  for (const l of lines) {
    const into = parts.find((p) => covers(p.meta, l.id));
    if (into) byKey.set(into.key, [...(byKey.get(into.key) ?? []), l]);
    else fresh.push(l);
  }
  const merged = lines.length - fresh.length;
  if (fresh.length > 0)
    byKey.set(partKey(appId, hour, (parts[parts.length - 1]?.part ?? 0) + 1), fresh);
  let bytes = 0;
  for (const [key, mine] of byKey) {
    const all = new Map<string, string>();
    if (parts.some((p) => p.key === key))
      for (const line of (await readLines(bucket, key)) ?? []) {
        const id = idOfLine(line);
        if (id) all.set(id, line);
      }
    // This pass read D1 last: its lines are the newer ones.
    for (const l of mine) all.set(l.id, l.line);
    const { text, meta } = render(all);
    const body = await gzip(text);
    await bucket.put(key, body, {
      httpMetadata: { contentType: "application/gzip" },
      customMetadata: toCustomMetadata(meta),
    });
    bytes += body.byteLength;
  }
  return { keys: [...byKey.keys()], merged, bytes };
}

/**
 * A message of an app from the archive, or null. Two reads when the hour's first part holds it
 * (its head, then the part: the usual case); a listing of the hour's parts otherwise. An hour
 * without a first part was never archived (or is being deleted): a miss there costs one read.
 */
export async function findArchived(
  bucket: R2Bucket,
  appId: string,
  messageId: string,
): Promise<ArchivedMessage | null> {
  const hour = hourOfMessage(messageId);
  const first = await bucket.head(partKey(appId, hour, 1));
  if (!first) return null;
  if (covers(fromCustomMetadata(first.customMetadata), messageId)) {
    const found = lineOf((await readLines(bucket, first.key)) ?? [], messageId);
    if (found) return found;
  }
  for (const p of await hourParts(bucket, appId, hour)) {
    if (p.key === first.key || !covers(p.meta, messageId)) continue;
    const found = lineOf((await readLines(bucket, p.key)) ?? [], messageId);
    if (found) return found;
  }
  return null;
}

function lineOf(lines: string[], messageId: string): ArchivedMessage | null {
  const line = lines.find((l) => idOfLine(l) === messageId);
  return line ? parseLine(line) : null;
}

/** One archived hour of an app, as the API lists it. */
export interface HourSummary {
  hour: Hour;
  messages: number;
  parts: number;
  bytes: number;
}

/**
 * An app's archived hours, oldest first, after `after` (an hour): up to `limit`, plus one more
 * when there are more (for the page's cursor).
 */
export async function listHours(
  bucket: R2Bucket,
  appId: string,
  limit: number,
  after: Hour | null,
): Promise<HourSummary[]> {
  const hours: HourSummary[] = [];
  // '~' sorts after every part suffix of the cursor's hour and before the next hour.
  const startAfter = after === null ? undefined : `${hourPrefix(appId, after)}~`;
  // Stop listing once an hour past the page's extra one starts.
  await listAll(bucket, appPrefix(appId), startAfter, (o) => {
    const hour = hourOfKey(appId, o.key);
    let h = hours[hours.length - 1];
    if (h?.hour !== hour) {
      if (hours.length > limit) return true;
      h = { hour, messages: 0, parts: 0, bytes: 0 };
      hours.push(h);
    }
    if (partOfKey(o.key) !== null) {
      h.parts++;
      h.bytes += o.size;
      h.messages += fromCustomMetadata(o.customMetadata)?.messages ?? 0;
    }
    return false;
  });
  return hours.slice(0, limit + 1);
}

/**
 * The messages of one archived hour of an app, in id order, after `after` (a message id): up to
 * `limit`, plus one more when there are more. Null when the hour is not archived.
 */
export async function hourMessages(
  bucket: R2Bucket,
  appId: string,
  hour: Hour,
  limit: number,
  after: string | null,
): Promise<ArchivedMessage[] | null> {
  const parts = await hourParts(bucket, appId, hour);
  if (parts.length === 0) return null;
  // Parts are read in the order of their first ids, and only those with ids past the cursor. Their
  // ranges are disjoint but for rare re-archived messages, so reading stops once the page is full
  // and the next part starts past it.
  const ordered = parts
    .filter((p) => after === null || p.meta === null || p.meta.last > after)
    .sort((a, b) => (a.meta?.first ?? "").localeCompare(b.meta?.first ?? ""));
  const found = new Map<string, string>();
  for (const p of ordered) {
    const page = [...found.keys()].sort().slice(0, limit + 1);
    const edge = page[limit];
    if (edge !== undefined && p.meta !== null && p.meta.first > edge) break;
    for (const line of (await readLines(bucket, p.key)) ?? []) {
      const id = idOfLine(line);
      if (id !== null && (after === null || id > after)) found.set(id, line);
    }
  }
  return [...found.keys()]
    .sort()
    .slice(0, limit + 1)
    .map((id) => parseLine(found.get(id) ?? ""));
}

/** What one expiry run removed. */
export interface Expired {
  hours: number;
  objects: number;
}

/**
 * Deletes archived hours that ended before `before` (ms), oldest first, up to `maxHours`: each
 * hour's parts (the later ones first, its first part last, so a half-done deletion still leaves
 * the hour findable or entirely gone), then its markers.
 */
export async function expireHours(
  bucket: R2Bucket,
  before: number,
  maxHours: number,
): Promise<Expired> {
  const page = await bucket.list({ prefix: MARKER_PREFIX, limit: maxHours });
  const done: string[] = [];
  let objects = 0;
  for (const o of page.objects) {
    const marker = parseMarker(o.key);
    if (!marker) continue;
    // Markers are listed in hour order: the first one still inside the retention ends the run.
    if (hourEnd(marker.hour) > before) break;
    const parts = await hourParts(bucket, marker.appId, marker.hour);
    const later = parts.filter((p) => p.part > 1).map((p) => p.key);
    for (let i = 0; i < later.length; i += 1000) await bucket.delete(later.slice(i, i + 1000));
    const firstPart = parts.find((p) => p.part === 1);
    if (firstPart) await bucket.delete(firstPart.key);
    objects += parts.length;
    done.push(o.key);
  }
  if (done.length > 0) await bucket.delete(done);
  return { hours: done.length, objects };
}
