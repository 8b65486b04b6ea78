import { z } from "@hono/zod-openapi";
import { LIMITS } from "../config";

/** Event type names: dot-separated segments of ASCII letters, digits, `_` and `-`. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Endpoint filters: an exact event type name, or a prefix ending in `.*`, or `*`. */
export const EVENT_FILTER_PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;

export const EventTypeName = z
  .string()
  .min(1)
  .max(128)
  .regex(EVENT_TYPE_PATTERN, "ASCII letters, digits, '_' and '-', dot-separated")
  .openapi({ example: "invoice.paid" });

/** Ids are `prefix_` + 26 Crockford base32 chars; bounded so junk never reaches SQL. */
export function idParam(prefix: string) {
  return z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/)
    .openapi({ example: `${prefix}_01JD0Z6Q3K8V1W2X3Y4Z5A6B7C` });
}

export const AppParams = z.object({
  appId: idParam("app").openapi({ param: { name: "appId", in: "path" } }),
});

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIMITS.pageSizeMax)
    .default(LIMITS.pageSizeDefault)
    .openapi({ param: { name: "limit", in: "query" }, example: 50 }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" } }),
});

/** A page of a list: `{ data, nextCursor }`; `nextCursor` is null on the last page. */
export function pageOf<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), detail: z.string() })).optional(),
  })
  .openapi("Problem");

/** Standard error responses for a route, all `application/problem+json`. */
export function problems(...statuses: number[]) {
  const out: Record<
    number,
    { description: string; content: Record<string, { schema: typeof Problem }> }
  > = {};
  for (const status of statuses) {
    out[status] = {
      description: `Problem (${status})`,
      content: { "application/problem+json": { schema: Problem } },
    };
  }
  return out;
}

/** A JSON request body declaration for `createRoute`. */
export function jsonRequest<T extends z.ZodTypeAny>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

/** A JSON response declaration for `createRoute`. */
export function jsonResponse<T extends z.ZodTypeAny>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}

export const Timestamp = z.string().openapi({ example: "2026-11-23T12:00:00.000Z" });
