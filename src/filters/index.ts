/**
 * Payload filters: MongoDB-style queries over a message's payload, validated when an endpoint
 * is saved and evaluated at ingest. Pure: no bindings, no I/O.
 */
export {
  type Compiled,
  compileFilter,
  FILTER_LIMITS,
  type FilterNode,
  type FilterProblem,
} from "./compile";
export { MAX_REGEX_INPUT, MAX_WORK, matchesFilter } from "./evaluate";
export { ExactJsonError, type ExactValue, parseExact, stringifyExact } from "./exact-json";
export { MAX_REGEX_LENGTH, regexProblem } from "./regex-guard";
