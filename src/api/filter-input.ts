import {
  compileFilter,
  ExactJsonError,
  FILTER_LIMITS,
  type FilterNode,
  parseExact,
  stringifyExact,
} from "../filters";
import { invalid } from "../lib/errors";
import { rawMember } from "../lib/raw-json";

/**
 * A payload filter from a request body, read from the body's exact text (zod's parse would
 * round big numbers): validated, compiled, and as the compact JSON the endpoint row stores.
 * A refusal is a 422 naming the offending part as `/<member>/...`.
 */
export function filterFromBody(
  bodyText: string,
  member = "filter",
): { column: string; node: FilterNode } {
  const raw = rawMember(bodyText, member);
  const at = `/${member}`;
  if (raw === undefined)
    throw invalid("The filter is missing.", [{ field: at, detail: "required" }]);
  if (raw.length > FILTER_LIMITS.text)
    throw invalid("The filter is not acceptable.", [
      { field: at, detail: `longer than ${FILTER_LIMITS.text} characters` },
    ]);
  let doc: ReturnType<typeof parseExact>;
  try {
    // The body's own depth bound already held; compileFilter names where it is too deep.
    doc = parseExact(raw);
  } catch (err) {
    if (!(err instanceof ExactJsonError)) throw err;
    throw invalid("The filter is not acceptable.", [{ field: at, detail: err.message }]);
  }
  const compiled = compileFilter(doc, at);
  if (!compiled.ok)
    throw invalid(
      "The filter is not acceptable.",
      compiled.problems.map((p) => ({ field: p.pointer, detail: p.detail })),
    );
  return { column: stringifyExact(doc), node: compiled.node };
}
