import type { Context } from "hono";
import { actAs } from "../../api/auth";
import { rawMember } from "../../lib/raw-json";
import type { Problem } from "../api-client";
import type { PortalEnv } from "./session";

/**
 * A message read through the API as the session's actor, with its payload's stored text: the
 * API spells payloads as their senders did (big numbers, long decimals), which a parse and
 * re-serialize would change, so the text is taken from the answer itself.
 */
export async function getMessageWithPayload<T>(
  c: Context<PortalEnv>,
  path: string,
): Promise<{ ok: true; data: T; payload: string } | { ok: false; problem: Problem }> {
  const request = actAs(
    new Request(new URL(path, c.req.url), { headers: { accept: "application/json" } }),
    c.var.client.actor,
  );
  const res = await c.var.api.fetch(request, c.env, c.executionCtx);
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: reported below as the status alone.
  }
  if (res.ok && parsed && typeof parsed === "object")
    return { ok: true, data: parsed as T, payload: rawMember(text, "payload") ?? "" };
  const problem =
    parsed && typeof parsed === "object" && "title" in parsed
      ? (parsed as Problem)
      : { status: res.status, title: res.statusText || `HTTP ${res.status}` };
  return { ok: false, problem: { ...problem, status: res.status } };
}
