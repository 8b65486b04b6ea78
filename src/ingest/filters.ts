/**
 * Whether an endpoint's event-type filters take an event type. An empty list takes every
 * type; `*` takes every type; `invoice.*` takes `invoice.paid` and `invoice.line.added` but
 * not `invoice` itself; anything else must match exactly.
 */
export function matchesEventType(filters: readonly string[], eventType: string): boolean {
  if (filters.length === 0) return true;
  for (const f of filters) {
    if (f === "*" || f === eventType) return true;
    if (f.endsWith(".*") && eventType.startsWith(f.slice(0, -1))) return true;
  }
  return false;
}
