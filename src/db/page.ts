/** Milliseconds to ISO 8601. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
