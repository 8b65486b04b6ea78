/** One structured log line: a message and fields (ids, counts, errors; never secrets or payloads). */
export function log(msg: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ msg, ...fields }));
}
