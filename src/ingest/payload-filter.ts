import { type ExactValue, type FilterNode, matchesFilter, parseExact } from "../filters";

/**
 * Splits the endpoints a message's event type matched into those whose payload filter takes it
 * and the ids of those whose filter refuses it. The payload is parsed (exactly: big numbers
 * intact) at most once, and only when one of them has a filter.
 */
export function splitByPayloadFilter<E extends { id: string; payloadFilter?: FilterNode | null }>(
  endpoints: E[],
  rawPayload: string,
): { matched: E[]; filtered: string[] } {
  if (!endpoints.some((e) => e.payloadFilter)) return { matched: endpoints, filtered: [] };
  let payload: ExactValue;
  try {
    payload = parseExact(rawPayload);
  } catch {
    // Ingest already parsed this text; should the exact parser disagree, deliver as unfiltered.
    return { matched: endpoints, filtered: [] };
  }
  const matched: E[] = [];
  const filtered: string[] = [];
  for (const e of endpoints) {
    if (!e.payloadFilter || matchesFilter(e.payloadFilter, payload)) matched.push(e);
    else filtered.push(e.id);
  }
  return { matched, filtered };
}
