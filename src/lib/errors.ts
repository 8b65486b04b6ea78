/**
 * Typed errors anything may throw (`NotFound`, `Conflict`, `Invalid` and kin). The API's one
 * `onError` turns them into RFC 9457 problem+json (api/problem.ts); they live here so modules
 * below the API need not import from it.
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
