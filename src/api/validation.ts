import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { ApiError } from "./problem";

/**
 * Turns a zod failure into problem+json: 422 for a body that parsed but is wrong, 400 for bad
 * path, query or header values. Each issue names its field (`payload`, `headers.Host`, `limit`).
 */
// biome-ignore lint/suspicious/noExplicitAny: Hook is generic over every route's schema.
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const errors = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : result.target,
    detail: issue.message,
  }));
  const status = result.target === "json" ? 422 : 400;
  const where = result.target === "json" ? "request body" : result.target;
  throw new ApiError(
    status,
    status === 422 ? "Unprocessable Content" : "Bad Request",
    `The ${where} is invalid.`,
    errors,
  );
};
