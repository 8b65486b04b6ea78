export { Hooklane, paginate, type SendOptions } from "./client.js";
export { type FieldError, HooklaneError } from "./errors.js";
export type { CallInit, ClientOptions, FetchLike, RequestOptions } from "./http.js";
export type {
  ApiKey,
  App,
  Attempt,
  Body,
  components,
  DeadLetter,
  Endpoint,
  EventType,
  Message,
  operations,
  Page,
  Problem,
  paths,
  Query,
  Result,
} from "./types.js";
