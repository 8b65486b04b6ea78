/**
 * An endpoint's options (`format`, `filter`, `transform`, `batch`) as the dashboard and the
 * portal edit them, and the two tries (filter test, transform preview): form text in, API calls
 * out. JSON fields are sent as typed (never parsed and re-serialised), so big numbers stay exact.
 */
import { rawMember } from "../lib/raw-json";
import type { Batch } from "../schemas/batch";
import { DELIVERY_FORMATS, type DeliveryFormat } from "../schemas/formats";
import type { ApiClient, Problem } from "./api-client";
import { prettyJson } from "./pretty-json";

/** The three formats, in the order the select offers them. */
export const FORMATS: readonly DeliveryFormat[] = DELIVERY_FORMATS;

/** The options form's fields, as stored or as typed. */
export interface OptionsValues {
  format: string;
  filter: string;
  transform: string;
  /** Batching's two numbers as typed; both empty is no batching. */
  batchMaxEvents: string;
  batchMaxWaitMs: string;
}

/** What the transform preview answers. */
export interface PreviewView {
  url: string;
  body: string;
  headers: Record<string, string>;
  transformed: boolean;
}

/** What an options page shows besides the stored values: typed values, results, refusals. */
export interface OptionsState {
  /** The options form as typed, with the API's refusal. */
  refused?: { values: OptionsValues; problem: Problem };
  filterTest?: { payload: string; outcome: { matches: boolean } | { problem: Problem } };
  preview?: {
    payload: string;
    eventType: string;
    outcome: { preview: PreviewView } | { problem: Problem };
  };
}

/**
 * The stored options from an endpoint answer's text: the filter is cut from the text as sent
 * and indented without parsing, so a big number in it shows (and saves back) unrounded.
 */
export function storedOptions(
  endpoint: { format: string; transform?: string; batch?: Batch | null },
  answerText: string,
): OptionsValues {
  const filter = rawMember(answerText, "filter");
  return {
    format: endpoint.format,
    filter: filter === undefined || filter === "null" ? "" : prettyJson(filter),
    transform: endpoint.transform ?? "",
    batchMaxEvents: endpoint.batch ? String(endpoint.batch.maxEvents) : "",
    batchMaxWaitMs: endpoint.batch ? String(endpoint.batch.maxWaitMs) : "",
  };
}

/** The options form's fields from a POSTed form. */
export function optionsFromForm(form: Record<string, string>): OptionsValues {
  return {
    format: form.format ?? "",
    filter: form.filter ?? "",
    transform: form.transform ?? "",
    batchMaxEvents: form.batchMaxEvents ?? "",
    batchMaxWaitMs: form.batchMaxWaitMs ?? "",
  };
}

/**
 * A typed number as JSON text: an integer as a number (a plus sign and leading zeros dropped,
 * every digit kept), a JSON number with a fraction or an exponent as typed, anything else as a
 * string. The API judges each, so its own 422 names the field.
 */
function numberJson(text: string): string {
  const typed = text.trim();
  if (/^[+-]?\d+$/.test(typed)) return BigInt(typed).toString();
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(typed)) return typed;
  return JSON.stringify(typed);
}

/** The batch as JSON text: null when both fields are empty; an empty field is left out. */
function batchJson(values: OptionsValues): string {
  const fields: [string, string][] = [
    ["maxEvents", values.batchMaxEvents],
    ["maxWaitMs", values.batchMaxWaitMs],
  ];
  const typed = fields.filter(([, text]) => text.trim() !== "");
  if (typed.length === 0) return "null";
  return `{${typed.map(([name, text]) => `"${name}":${numberJson(text)}`).join(",")}}`;
}

/** A field's JSON text checked for syntax only (the API judges the rest), or a 422 naming it. */
function jsonField(text: string, field: string): { json: string } | { problem: Problem } {
  try {
    JSON.parse(text);
    return { json: text.trim() };
  } catch (err) {
    return {
      problem: {
        status: 422,
        title: "The request is not valid.",
        errors: [{ field, detail: `not valid JSON (${(err as Error).message})` }],
      },
    };
  }
}

/**
 * The PATCH body for the options, as JSON text: an empty filter, transform or batch clears it.
 * A filter that is not JSON at all is refused here, as the API would refuse the body.
 */
export function optionsBody(values: OptionsValues): { text: string } | { problem: Problem } {
  let filter = "null";
  if (values.filter.trim() !== "") {
    const checked = jsonField(values.filter, "/filter");
    if ("problem" in checked) return checked;
    filter = checked.json;
  }
  const transform = values.transform.trim() === "" ? null : values.transform;
  return {
    text: `{"format":${JSON.stringify(values.format)},"filter":${filter},"transform":${JSON.stringify(transform)},"batch":${batchJson(values)}}`,
  };
}

/** Saves the options on the endpoint at `path`: null when done, else the refusal. */
export async function saveOptions(
  client: ApiClient,
  path: string,
  values: OptionsValues,
): Promise<Problem | null> {
  const body = optionsBody(values);
  if ("problem" in body) return body.problem;
  const res = await client.callText("PATCH", path, body.text);
  return res.ok ? null : res.problem;
}

/** Tries the endpoint's saved filter on a sample payload (JSON text). */
export async function testFilter(
  client: ApiClient,
  path: string,
  payload: string,
): Promise<NonNullable<OptionsState["filterTest"]>> {
  const checked = jsonField(payload, "/payload");
  if ("problem" in checked) return { payload, outcome: checked };
  const res = await client.callText<{ matches: boolean }>(
    "POST",
    `${path}/filter/test`,
    `{"payload":${checked.json}}`,
  );
  return { payload, outcome: res.ok ? { matches: res.data.matches } : { problem: res.problem } };
}

/** Previews what the endpoint's saved transform sends for a sample payload (JSON text). */
export async function previewTransform(
  client: ApiClient,
  path: string,
  payload: string,
  eventType: string,
): Promise<NonNullable<OptionsState["preview"]>> {
  const checked = jsonField(payload, "/payload");
  if ("problem" in checked) return { payload, eventType, outcome: checked };
  const type = eventType.trim();
  const res = await client.callText<PreviewView>(
    "POST",
    `${path}/transform/preview`,
    `{"payload":${checked.json}${type === "" ? "" : `,"eventType":${JSON.stringify(type)}`}}`,
  );
  return {
    payload,
    eventType,
    outcome: res.ok ? { preview: res.data } : { problem: res.problem },
  };
}

/** The refusal a page shows for this state, if any (its status becomes the page's). */
export function stateProblem(state: OptionsState): Problem | undefined {
  if (state.refused) return state.refused.problem;
  const outcome = state.filterTest?.outcome ?? state.preview?.outcome;
  return outcome && "problem" in outcome ? outcome.problem : undefined;
}
