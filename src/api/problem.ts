/**
 * RFC 9457 problem details. Anything may throw an `ApiError`; the app's single `onError`
 * turns it into `application/problem+json`.
 */
export interface FieldProblem {
  /** JSON pointer or header/query name of the offending field. */
  field: string;
  detail: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (detail: string, errors?: FieldProblem[]) =>
  new ApiError(400, "Bad Request", detail, errors);
export const unauthorized = (detail = "A valid bearer token is required.") =>
  new ApiError(401, "Unauthorized", detail, undefined, { "www-authenticate": "Bearer" });
export const forbidden = (detail: string) => new ApiError(403, "Forbidden", detail);
export const notFound = (what: string) => new ApiError(404, "Not Found", `${what} not found.`);
export const conflict = (detail: string) => new ApiError(409, "Conflict", detail);
export const tooLarge = (limit: number) =>
  new ApiError(413, "Content Too Large", `The request body exceeds ${limit} bytes.`);
export const unsupportedMediaType = () =>
  new ApiError(415, "Unsupported Media Type", "The request body must be application/json.");
export const invalid = (detail: string, errors?: FieldProblem[]) =>
  new ApiError(422, "Unprocessable Content", detail, errors);

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
