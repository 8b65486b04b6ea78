/**
 * An example payload for an event type: the schema's own `examples[0]` when it has one, else a
 * small value made from the schema (each property's example, default, const, first enum value,
 * or a placeholder of its type). Pure, bounded in depth, never throws.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_DEPTH = 6;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The example payload of an event type's JSON Schema (an empty object without one). */
export function examplePayload(schema: Record<string, unknown> | undefined): Json {
  if (!schema) return {};
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length > 0) return examples[0] as Json;
  return exampleOf(schema, schema, 0);
}

/** A placeholder string for a `format`, so examples look like what they stand for. */
function stringFor(format: unknown, name: string | undefined): string {
  switch (format) {
    case "date-time":
      return "2026-01-01T12:00:00Z";
    case "date":
      return "2026-01-01";
    case "email":
      return "user@example.com";
    case "uri":
    case "url":
      return "https://example.com";
    case "uuid":
      return "00000000-0000-4000-8000-000000000000";
    default:
      return name ? `example ${name}` : "example";
  }
}

function resolveRef(root: Record<string, unknown>, ref: unknown): Record<string, unknown> | null {
  if (typeof ref !== "string" || !ref.startsWith("#/")) return null;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    if (!isObject(node)) return null;
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return isObject(node) ? node : null;
}

function exampleOf(
  schema: unknown,
  root: Record<string, unknown>,
  depth: number,
  name?: string,
): Json {
  if (!isObject(schema) || depth > MAX_DEPTH) return null;
  if (Array.isArray(schema.examples) && schema.examples.length > 0)
    return schema.examples[0] as Json;
  if ("const" in schema) return schema.const as Json;
  if ("default" in schema) return schema.default as Json;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as Json;
  const ref = resolveRef(root, schema.$ref);
  if (ref) return exampleOf(ref, root, depth + 1, name);
  for (const key of ["allOf", "anyOf", "oneOf"] as const) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0) {
      if (key !== "allOf") return exampleOf(list[0], root, depth + 1, name);
      // allOf: the parts' objects merged.
      const merged: { [key: string]: Json } = {};
      for (const part of list) {
        const value = exampleOf(part, root, depth + 1, name);
        if (isObject(value)) Object.assign(merged, value);
      }
      return merged;
    }
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type ?? (isObject(schema.properties) ? "object" : undefined)) {
    case "object": {
      const out: { [key: string]: Json } = {};
      const props = isObject(schema.properties) ? schema.properties : {};
      for (const [key, sub] of Object.entries(props))
        out[key] = exampleOf(sub, root, depth + 1, key);
      return out;
    }
    case "array": {
      const item = exampleOf(schema.items, root, depth + 1, name);
      const min = typeof schema.minItems === "number" ? Math.min(schema.minItems, 3) : 1;
      return Array.from({ length: Math.max(min, 1) }, () => item);
    }
    case "string":
      return stringFor(schema.format, name);
    case "integer":
      return typeof schema.minimum === "number" ? Math.ceil(schema.minimum) : 1;
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1.5;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return null;
  }
}
