/**
 * Newer/Older links for pages of the API's newest-first lists, whose cursors only go older: a
 * page's URL carries the cursors of the pages before it (`back`), so "Newer" goes back one
 * page without asking the API for the other direction.
 */
import type { Context } from "hono";
import { appPath } from "../api-client";
import type { AppView } from "../apps";
import type { UiEnv } from "../session";

/** Cursors kept in a URL; past this, "Newer" from deep pages goes back to the newest page. */
const BACK_MAX = 30;
const CURSOR_RE = /^[A-Za-z0-9_-]{1,200}$/;

/** The page's cursor and the cursors before it, from the query (junk is dropped). */
export function pageState(c: Context<UiEnv>, name = "cursor"): { cursor?: string; back: string[] } {
  const cursor = c.req.query(name);
  const back = (c.req.query("back") ?? "").split(".").filter((s) => CURSOR_RE.test(s));
  return {
    ...(cursor && CURSOR_RE.test(cursor) ? { cursor } : {}),
    back: back.slice(-BACK_MAX),
  };
}

/** `path?params` with empty values left out. */
export function href(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The Newer and Older links of a page, keeping its filters. */
export function Pager(props: {
  path: string;
  filters: Record<string, string | undefined>;
  state: { cursor?: string; back: string[] };
  next: string | null;
  /** The Older link's words (e.g. "Continue searching" after a bounded scan). */
  olderLabel?: string;
}) {
  const { state } = props;
  const newer =
    state.cursor === undefined
      ? null
      : href(props.path, {
          ...props.filters,
          cursor: state.back[state.back.length - 1],
          back: state.back.slice(0, -1).join(".") || undefined,
        });
  const older =
    props.next === null
      ? null
      : href(props.path, {
          ...props.filters,
          cursor: props.next,
          back: [...state.back, ...(state.cursor ? [state.cursor] : [""])]
            .filter((s) => s !== "")
            .join("."),
        });
  if (!newer && !older) return null;
  return (
    <nav aria-label="Pages" class="pager">
      {newer && (
        <a href={newer} rel="prev">
          Newer
        </a>
      )}
      {older && (
        <a href={older} rel="next">
          {props.olderLabel ?? "Older"}
        </a>
      )}
    </nav>
  );
}

/** The app a page belongs to, through the API. */
export function appOf(c: Context<UiEnv>) {
  return c.var.client.get<AppView>(appPath(c.req.param("appId") ?? ""));
}

/**
 * A `datetime-local` value (read as UTC) or an ISO time, as ISO. Anything else is passed on as
 * typed, so the API refuses it and the page shows why, instead of searching without it.
 */
export function isoFromInput(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)
    ? `${value}Z`
    : value;
  const t = Date.parse(v);
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}
