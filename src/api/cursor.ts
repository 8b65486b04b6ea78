import { toBase64Url } from "../lib/encoding";
import { badRequest } from "../lib/errors";

/** Opaque cursor for a sort key (the last row's id or name). */
export function encodeCursor(key: string): string {
  return toBase64Url(new TextEncoder().encode(key));
}

/** The sort key inside a cursor; a malformed cursor is a 400. */
export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  try {
    const b64 = cursor.replace(/-/g, "+").replace(/_/g, "/");
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
    );
    if (!/^[A-Za-z0-9_.-]{1,200}$/.test(text)) throw new Error("bad cursor");
    return text;
  } catch {
    throw badRequest("The cursor is not one this API handed out.", [
      { field: "cursor", detail: "invalid cursor" },
    ]);
  }
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Turns `limit + 1` fetched rows into a page: the extra row only says a next page exists. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  key: (row: R) => string,
  map: (row: R) => T,
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { data: kept.map(map), nextCursor: more && last ? encodeCursor(key(last)) : null };
}
