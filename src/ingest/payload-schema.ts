import { type OutputUnit, Validator } from "@cfworker/json-schema";
import { getEventType } from "../db/event-types";
import type { FieldProblem } from "../lib/errors";
import { TtlCache } from "../lib/ttl-cache";

/**
 * Payload validation against an event type's JSON Schema (draft 2020-12), enforced at ingest
 * when the event type has one. Event types without a schema, and event type names not in the
 * catalog, take any JSON object.
 */

/** Most problems reported for one payload; the first few are what a sender needs. */
const MAX_PROBLEMS = 20;

/** Compiles a schema; throws when it cannot be used (an unresolvable `$ref`, say). */
export function compileSchema(schema: unknown): Validator {
  const validator = new Validator(schema as object, "2020-12", false);
  // References resolve lazily: one validation surfaces a broken schema now, not at ingest.
  validator.validate({});
  return validator;
}

/** Field problems for a payload, or none; paths read `payload.items.1`. */
export function payloadProblems(validator: Validator, payload: unknown): FieldProblem[] {
  const { valid, errors } = validator.validate(payload);
  if (valid) return [];
  // Keep the leaves: drop an error that only says a nested one failed (its keyword location is
  // a prefix of another's), and the bare "False boolean schema." behind additionalProperties.
  const leaves = errors.filter(
    (e) =>
      !errors.some((o) => o !== e && o.keywordLocation.startsWith(`${e.keywordLocation}/`)) &&
      !(e.keyword === "false" && errors.length > 1),
  );
  return leaves.slice(0, MAX_PROBLEMS).map((e) => ({ field: fieldOf(e), detail: e.error }));
}

function fieldOf(e: OutputUnit): string {
  const parts = e.instanceLocation
    .replace(/^#\/?/, "")
    .split("/")
    .filter((p) => p !== "")
    .map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
  return ["payload", ...parts].join(".");
}

/** Validators per app and event type, for a few seconds per isolate (like the endpoint cache). */
const validators = new TtlCache<Promise<Validator | null>>(5_000, 10_000);

/** The compiled schema of an event type, or null when it has none (or is not in the catalog). */
export function validatorFor(
  db: D1Database,
  appId: string,
  eventType: string,
): Promise<Validator | null> {
  const key = `${appId}\u0000${eventType}`;
  let hit = validators.get(key);
  if (!hit) {
    hit = getEventType(db, appId, eventType).then((row) =>
      row?.schema ? compileSchema(JSON.parse(row.schema)) : null,
    );
    hit.catch(() => validators.delete(key));
    validators.set(key, hit);
  }
  return hit;
}

/** Forgets an event type's compiled schema after it changed in this isolate. */
export function invalidateSchema(appId: string, eventType: string): void {
  validators.delete(`${appId}\u0000${eventType}`);
}
