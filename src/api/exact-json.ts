import type { TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";

/**
 * JSON answers that carry stored payloads exactly as their senders wrote them. `JSON.stringify`
 * of a parsed payload would print `12345678901234567890123` as `1.2345678901234568e+22` and
 * `1e999` as `null`; here each payload's stored text is spliced in where a marker stood.
 */

/** A placeholder no stored text can hold: control characters are always escaped in JSON. */
function marker(i: number): string {
  return `\u0000payload:${i}\u0000`;
}

/** Puts a stored payload into an answer (as a marker the serializer replaces). */
export type PayloadSlot = (raw: string) => Record<string, unknown>;

/**
 * A JSON response built by `build`, with every payload it placed through `payload` spliced in
 * as its stored text. Typed as the JSON the route declares: the payloads are JSON objects, only
 * spelled as their senders spelled them.
 */
export function exactJson<T, S extends 200 | 201 | 202>(
  build: (payload: PayloadSlot) => T,
  status: S,
): Response & TypedResponse<JSONParsed<T>, S, "json"> {
  const raws: string[] = [];
  const body = build((raw) => {
    raws.push(raw);
    // The marker stands in for the object until the text is spliced in below.
    return marker(raws.length - 1) as unknown as Record<string, unknown>;
  });
  let text = JSON.stringify(body);
  raws.forEach((raw, i) => {
    text = text.replace(JSON.stringify(marker(i)), () => raw);
  });
  return new Response(text, {
    status,
    headers: { "content-type": "application/json" },
  }) as Response & TypedResponse<JSONParsed<T>, S, "json">;
}
