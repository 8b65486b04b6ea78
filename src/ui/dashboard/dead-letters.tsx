/**
 * An app's dead letters: a filtered, cursor-paged list with a Replay form per row; "Replay
 * matching", which shows a bounded count and asks to confirm before the bulk replay; and the
 * replay's progress page, which reloads itself (a Refresh header, no script) until done.
 */
import { type Context, Hono } from "hono";
import { appPath } from "../api-client";
import { doc, problemPage } from "../render";
import type { UiEnv } from "../session";
import {
  base,
  ConfirmPage,
  DeadLettersPage,
  type DeadLetterView,
  type Filters,
  type Progress,
  ProgressPage,
  REFRESH_S,
  REPLAY_BATCH,
} from "./dead-letters-pages";
import { appOf, href, isoFromInput, pageState } from "./paging";

/** Dead letters per page. */
const PAGE_SIZE = 25;

export const deadLettersArea = new Hono<UiEnv>();

function filtersOf(get: (k: string) => string | undefined): Filters {
  const q = (k: string) => get(k)?.trim() || undefined;
  return { endpointId: q("endpointId"), reason: q("reason"), since: q("since"), until: q("until") };
}

/** The filter as the API takes it. */
function apiFilter(f: Filters) {
  return {
    endpointId: f.endpointId,
    reason: f.reason,
    since: isoFromInput(f.since),
    until: isoFromInput(f.until),
  };
}

deadLettersArea.get("/dashboard/apps/:appId/dead-letters", async (c) => {
  const appId = c.req.param("appId");
  const filters = filtersOf((k) => c.req.query(k));
  const state = pageState(c);
  const [app, list] = await Promise.all([
    appOf(c),
    c.var.client.get<{ data: DeadLetterView[]; nextCursor: string | null }>(
      appPath(appId, "dead-letters"),
      { limit: PAGE_SIZE, cursor: state.cursor, ...apiFilter(filters) },
    ),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  return c.html(
    doc(
      <DeadLettersPage
        csrf={c.var.session.csrf}
        app={app.data}
        filters={filters}
        letters={list.ok ? list.data.data : []}
        next={list.ok ? list.data.nextCursor : null}
        problem={list.ok ? undefined : list.problem}
        state={state}
        notice={c.req.query("notice")}
      />,
    ),
  );
});

/** Where a replay form sends the operator back to: a page of this app, nothing else. */
function backTo(c: Context<UiEnv>, appId: string): string {
  const back = c.var.form.back ?? "";
  const mine = `${base(appId)}/`;
  return back.startsWith(mine) && !back.includes("//") ? back : `${mine}dead-letters`;
}

deadLettersArea.post("/dashboard/apps/:appId/dead-letters/:deliveryId/replay", async (c) => {
  const appId = c.req.param("appId");
  const res = await c.var.client.post(
    appPath(appId, "dead-letters", c.req.param("deliveryId"), "replay"),
  );
  if (!res.ok) return problemPage(c, res.problem);
  const back = backTo(c, appId);
  return c.redirect(`${back}${back.includes("?") ? "&" : "?"}notice=replayed`, 303);
});

// The confirmation: how many match (bounded), and a form that runs the replay.
deadLettersArea.get("/dashboard/apps/:appId/dead-letters/replay", async (c) => {
  const appId = c.req.param("appId");
  const filters = filtersOf((k) => c.req.query(k));
  const [app, count] = await Promise.all([
    appOf(c),
    c.var.client.get<{ count: number; atLeast: boolean; cap: number }>(
      appPath(appId, "dead-letters", "count"),
      apiFilter(filters),
    ),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  return c.html(
    doc(
      <ConfirmPage
        csrf={c.var.session.csrf}
        app={app.data}
        filters={filters}
        count={count.ok ? count.data : null}
        problem={count.ok ? undefined : count.problem}
      />,
    ),
  );
});

deadLettersArea.post("/dashboard/apps/:appId/dead-letters/replay", async (c) => {
  const appId = c.req.param("appId");
  const filters = filtersOf((k) => c.var.form[k]);
  const res = await c.var.client.post<{ restarted: number; more: boolean; replayId: string }>(
    appPath(appId, "dead-letters", "replay"),
    { ...apiFilter(filters), limit: REPLAY_BATCH },
  );
  if (!res.ok) return problemPage(c, res.problem);
  return c.redirect(
    href(`${base(appId)}/dead-letters/replays/${encodeURIComponent(res.data.replayId)}`, {
      ...filters,
      more: res.data.more ? "1" : undefined,
    }),
    303,
  );
});

deadLettersArea.get("/dashboard/apps/:appId/dead-letters/replays/:replayId", async (c) => {
  const appId = c.req.param("appId");
  const [app, progress] = await Promise.all([
    appOf(c),
    c.var.client.get<Progress>(appPath(appId, "dead-letters", "replays", c.req.param("replayId"))),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  if (!progress.ok) return problemPage(c, progress.problem);
  const auto = c.req.query("auto") !== "off";
  // A Refresh header, not <meta http-equiv="refresh">: axe (WCAG 2.2.1) fails any timed meta
  // refresh as critical. The page offers to stop refreshing, which 2.2.1 asks for.
  if (!progress.data.done && auto) c.header("refresh", String(REFRESH_S));
  return c.html(
    doc(
      <ProgressPage
        csrf={c.var.session.csrf}
        app={app.data}
        progress={progress.data}
        filters={filtersOf((k) => c.req.query(k))}
        more={c.req.query("more") === "1"}
        auto={auto}
        self={c.req.url}
      />,
    ),
  );
});
