/**
 * A transform applied to a built request: the body a format made goes in, the body, URL and
 * headers to send come out. Shared by the consumer, the preview route and the dashboard's
 * rebuild, so all three show the same bytes. Pure.
 */
import { checkTargetUrl } from "../security/url-guard";
import { runTransform } from "./engine";
import { withPath } from "./extras";

/** What goes out once the transform ran. */
export interface TransformedRequest {
  url: string;
  body: string;
  /** The transform's headers, names in lower case (the endpoint's own and the format's stay). */
  headers: Record<string, string>;
  path?: string;
}

export type ApplyResult = { ok: true; request: TransformedRequest } | { ok: false; error: string };

/**
 * Runs `expression` over `body` (JSON text from a format builder). Numbers beyond 2^53 lose
 * precision here, because JSONata works on parsed values; without a transform nothing is parsed.
 */
export async function applyTransform(
  expression: string,
  endpointUrl: string,
  body: string,
  opts: { allowInsecure: boolean },
): Promise<ApplyResult> {
  let envelope: unknown;
  try {
    envelope = JSON.parse(body);
  } catch {
    return { ok: false, error: "the body to transform is not JSON" };
  }
  const result = await runTransform(expression, envelope);
  if (!result.ok) return result;
  const { output } = result;
  let url = endpointUrl;
  if (output.path !== undefined) {
    try {
      url = withPath(endpointUrl, output.path);
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    const target = checkTargetUrl(url, opts);
    if (!target.ok)
      return { ok: false, error: `the URL with the path is refused: ${target.reason}` };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(output.headers ?? {}))
    headers[name.toLowerCase()] = value;
  return {
    ok: true,
    request: {
      url,
      body: output.body,
      headers,
      ...(output.path !== undefined ? { path: output.path } : {}),
    },
  };
}
