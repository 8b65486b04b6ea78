import type { MiddlewareHandler } from "hono";
import { LIMITS } from "../config";
import { jsonDepthExceeds } from "../lib/json-depth";
import { invalid, tooLarge, unsupportedMediaType } from "./problem";

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

/**
 * Reads a request body as text, counting bytes as they arrive and stopping at `max`, whatever
 * content-length claims (a lying or absent header cannot make us buffer more).
 */
export async function readCapped(body: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  // fatal: invalid UTF-8 is refused rather than silently replaced.
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw invalid("The request body is not valid UTF-8.");
  }
}

/**
 * Guards JSON request bodies: 415 for another media type, 413 past `max` bytes, 422 for
 * invalid JSON or nesting deeper than the limit. The stream is read once, under the cap; the
 * request then goes on as a copy carrying the checked text (`c.req.raw` is Hono's public
 * request), which the route's validator and handler read as any other body.
 */
export function jsonBody(maxFor: (path: string) => number): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    if (method !== "POST" && method !== "PUT" && method !== "PATCH") return next();
    const max = maxFor(c.req.path);
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > max) throw tooLarge(max);
    const raw = c.req.raw;
    if (raw.body === null) return next();
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const text = await readCapped(raw.body, max);
    if (text.trim() === "") {
      // An empty body on a route that takes one validates as `{}`; bodiless routes ignore it.
      if (mediaType !== "" && !JSON_MEDIA.test(mediaType)) throw unsupportedMediaType();
      c.req.raw = new Request(raw, { body: "{}" });
      return next();
    }
    if (!JSON_MEDIA.test(mediaType)) throw unsupportedMediaType();
    if (jsonDepthExceeds(text, LIMITS.jsonDepth)) {
      throw invalid(`JSON nesting is deeper than ${LIMITS.jsonDepth} levels.`);
    }
    c.req.raw = new Request(raw, { body: text });
    return next();
  };
}
