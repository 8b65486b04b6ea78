/**
 * RFC 9457 problem details: the app's single `onError` turns an `ApiError` (lib/errors.ts)
 * thrown anywhere into `application/problem+json`.
 */
import type { ApiError } from "../lib/errors";

export {
  ApiError,
  badRequest,
  conflict,
  type FieldProblem,
  forbidden,
  invalid,
  notFound,
  tooLarge,
  unauthorized,
  unsupportedMediaType,
} from "../lib/errors";

const TYPE_BASE = "https://hooklane.dev/problems/";

/** Slug of a status used as the problem `type`, so clients can branch on it. */
function typeFor(status: number): string {
  const slugs: Record<number, string> = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation",
    429: "rate-limited",
    500: "internal",
  };
  return TYPE_BASE + (slugs[status] ?? `status-${status}`);
}

/** A problem+json response. */
export function problemResponse(err: ApiError, instance?: string): Response {
  const body: Record<string, unknown> = {
    type: typeFor(err.status),
    title: err.title,
    status: err.status,
  };
  if (err.detail) body.detail = err.detail;
  if (instance) body.instance = instance;
  if (err.errors?.length) body.errors = err.errors;
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: { "content-type": "application/problem+json", ...err.headers },
  });
}
