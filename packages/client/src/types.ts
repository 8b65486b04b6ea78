/**
 * Types derived from the generated schema (schema.d.ts): what an operation takes and answers,
 * and short names for the API's resources.
 */
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** The HTTP methods the API uses. */
export type Method = "get" | "post" | "patch" | "delete";

/** The methods `path` has an operation for. */
export type MethodOf<P extends keyof paths> = {
  [M in Method]: paths[P][M] extends undefined ? never : M;
}[Method];

/** The operation at `path` and `method`. */
export type OperationAt<P extends keyof paths, M extends Method> = paths[P][M];

/** An operation's path parameters (`never` when it has none). */
export type PathParams<O> = O extends { parameters: { path: infer T } } ? T : never;

/** An operation's query parameters (`never` when it has none). */
export type QueryParams<O> = O extends { parameters: { query?: infer T } }
  ? Exclude<T, undefined>
  : never;

/** An operation's JSON request body (`never` when it has none). */
export type RequestBody<O> = O extends { requestBody?: never }
  ? never
  : O extends { requestBody: { content: { "application/json": infer B } } }
    ? B
    : O extends { requestBody?: { content: { "application/json": infer B } } }
      ? B | undefined
      : never;

type Success = 200 | 201 | 202 | 204;

/** What an operation answers on success (`undefined` for 204 No Content). */
export type SuccessBody<O> = O extends { responses: infer R }
  ? {
      [S in keyof R & Success]: R[S] extends { content: { "application/json": infer T } }
        ? T
        : undefined;
    }[keyof R & Success]
  : never;

/** The request body of an operation, by `operationId`: `Body<"createApp">`. */
export type Body<K extends keyof operations> = RequestBody<operations[K]>;
/** The success answer of an operation, by `operationId`: `Result<"getApp">`. */
export type Result<K extends keyof operations> = SuccessBody<operations[K]>;
/** The query parameters of an operation, by `operationId`: `Query<"listMessages">`. */
export type Query<K extends keyof operations> = QueryParams<operations[K]>;

type Schemas = components["schemas"];
/** An RFC 9457 problem, as every error answer carries it. */
export type Problem = Schemas["Problem"];
export type App = Schemas["App"];
export type ApiKey = Schemas["ApiKey"];
export type EventType = Schemas["EventType"];
export type Endpoint = Schemas["Endpoint"];
export type Message = Schemas["Message"];
export type Attempt = Schemas["Attempt"];
export type DeadLetter = Schemas["DeadLetter"];

/** A page of a cursor-paginated list. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
