/**
 * An app's dead letters: a filtered, cursor-paged list with a Replay form per row; "Replay
 * matching", which shows a bounded count and asks to confirm before the bulk replay; and the
 * replay's progress page, which reloads itself (a Refresh header, no script) until done.
 */
import { type Context, Hono } from "hono";
import { appPath, type Problem } from "../api-client";
import type { AppView } from "../apps";
import { ProblemNote } from "../apps";
import { Csrf, Layout } from "../layout";
import { doc, problemPage } from "../render";
import type { UiEnv } from "../session";
import { appOf, href, isoFromInput, Pager, pageState } from "./paging";

/** Dead letters per page. */
const PAGE_SIZE = 25;
/** Most deliveries one bulk replay call restarts (the API's own cap). */
const REPLAY_BATCH = 1000;
/** Seconds between reloads of a running replay's progress page. */
const REFRESH_S = 2;

interface DeadLetterView {
  deliveryId: string;
  messageId: string;
  endpointId: string;
  reason: string;
  attempts: number;
  deadAt: string;
}

interface Progress {
  id: string;
  createdAt: string;
  total: number;
  pending: number;
  retrying: number;
  succeeded: number;
  dead: number;
  other: number;
  done: boolean;
}

/** The filter as typed (times as `datetime-local`, read as UTC). */
interface Filters {
  endpointId?: string;
  reason?: string;
  since?: string;
  until?: string;
}

export const deadLettersArea = new Hono<UiEnv>();

const base = (appId: string) => `/dashboard/apps/${encodeURIComponent(appId)}`;

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

/** The filter form, shared by the list and the confirmation. */
function FilterFields(props: { filters: Filters }) {
  const f = props.filters;
  return (
    <>
      <div>
        <label for="d-endpoint">Endpoint id</label>
        <input id="d-endpoint" name="endpointId" value={f.endpointId ?? ""} placeholder="ep_..." />
      </div>
      <div>
        <label for="d-reason">Reason (or how it starts)</label>
        <input id="d-reason" name="reason" value={f.reason ?? ""} />
      </div>
      <div>
        <label for="d-since">Dead since (UTC)</label>
        <input id="d-since" name="since" type="datetime-local" value={f.since ?? ""} />
      </div>
      <div>
        <label for="d-until">Dead before (UTC)</label>
        <input id="d-until" name="until" type="datetime-local" value={f.until ?? ""} />
      </div>
    </>
  );
}

function DeadLettersPage(props: {
  csrf: string;
  app: AppView;
  filters: Filters;
  letters: DeadLetterView[];
  next: string | null;
  problem?: Problem;
  state: { cursor?: string; back: string[] };
  notice?: string;
}) {
  const { app, filters } = props;
  const path = `${base(app.id)}/dead-letters`;
  return (
    <Layout
      title={`Dead letters · ${app.name}`}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "dead-letters" }}
    >
      <h1>Dead letters</h1>
      {props.notice === "replayed" && (
        <p role="status" class="notice">
          Replay started: the delivery goes out again with the same webhook-id.
        </p>
      )}
      <form method="get" action={path} class="filters" aria-label="Filter dead letters">
        <FilterFields filters={filters} />
        <button type="submit">Filter</button>
        <a href={path}>Clear</a>
      </form>
      <p>
        <a href={href(`${path}/replay`, { ...filters })}>Replay all matching…</a>
      </p>
      {props.problem && <ProblemNote problem={props.problem} />}
      {props.letters.length === 0 ? (
        <p>No dead letter matches.</p>
      ) : (
        <table>
          <caption>Dead letters, newest message first</caption>
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Reason</th>
              <th scope="col">Attempts</th>
              <th scope="col">Dead at</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {props.letters.map((d) => (
              <tr>
                <td>
                  <a href={`${base(app.id)}/messages/${encodeURIComponent(d.messageId)}`}>
                    <code>{d.messageId}</code>
                  </a>
                </td>
                <td>
                  <a href={`${base(app.id)}/endpoints/${encodeURIComponent(d.endpointId)}`}>
                    <code>{d.endpointId}</code>
                  </a>
                </td>
                <td>{d.reason}</td>
                <td>{d.attempts}</td>
                <td>
                  <time datetime={d.deadAt}>{d.deadAt}</time>
                </td>
                <td>
                  <form method="post" action={`${path}/${encodeURIComponent(d.deliveryId)}/replay`}>
                    <Csrf token={props.csrf} />
                    <button type="submit" aria-label={`Replay ${d.deliveryId}`}>
                      Replay
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager path={path} filters={{ ...filters }} state={props.state} next={props.next} />
    </Layout>
  );
}

function ConfirmPage(props: {
  csrf: string;
  app: AppView;
  filters: Filters;
  count: { count: number; atLeast: boolean; cap: number } | null;
  problem?: Problem;
}) {
  const { app, filters, count } = props;
  const path = `${base(app.id)}/dead-letters`;
  const n = count ? count.count.toLocaleString("en-US") : "";
  const words = count ? (count.atLeast ? `at least ${n}` : n) : "";
  return (
    <Layout
      title={`Replay dead letters · ${app.name}`}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "dead-letters" }}
    >
      <h1>Replay matching dead letters</h1>
      <form method="get" action={`${path}/replay`} class="filters" aria-label="Change the filter">
        <FilterFields filters={filters} />
        <button type="submit">Count again</button>
      </form>
      {props.problem && <ProblemNote problem={props.problem} />}
      {count && count.count === 0 && <p>No dead letter matches this filter; nothing to replay.</p>}
      {count && count.count > 0 && (
        <section class="confirm" aria-labelledby="confirm-h">
          <h2 id="confirm-h">
            {words} dead {count.count === 1 && !count.atLeast ? "letter matches" : "letters match"}
          </h2>
          <p>
            Each goes out again as a fresh series of attempts with the same webhook-id.
            {count.atLeast || count.count > REPLAY_BATCH
              ? ` One run replays the newest ${REPLAY_BATCH.toLocaleString("en-US")}; the progress page offers the next run.`
              : ""}
          </p>
          <form method="post" action={`${path}/replay`}>
            <Csrf token={props.csrf} />
            {Object.entries(filters).map(([k, v]) =>
              v ? <input type="hidden" name={k} value={v} /> : null,
            )}
            <button type="submit">
              Replay{" "}
              {count.atLeast || count.count > REPLAY_BATCH
                ? REPLAY_BATCH.toLocaleString("en-US")
                : n}{" "}
              {count.count === 1 && !count.atLeast ? "dead letter" : "dead letters"}
            </button>{" "}
            <a href={href(path, { ...filters })}>Cancel</a>
          </form>
        </section>
      )}
    </Layout>
  );
}

function ProgressPage(props: {
  csrf: string;
  app: AppView;
  progress: Progress;
  filters: Filters;
  more: boolean;
  auto: boolean;
  self: string;
}) {
  const { app, progress: p } = props;
  const path = `${base(app.id)}/dead-letters`;
  const finished = p.succeeded + p.dead + p.other;
  const url = new URL(props.self);
  url.searchParams.set("auto", "off");
  const stop = url.pathname + url.search;
  url.searchParams.delete("auto");
  const reload = url.pathname + url.search;
  return (
    <Layout
      title={`Replay progress · ${app.name}`}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "dead-letters" }}
    >
      <h1>Replay progress</h1>
      <p>
        Replay <code>{p.id}</code> started <time datetime={p.createdAt}>{p.createdAt}</time>.
      </p>
      <p role="status" id="replay-status">
        {p.done
          ? `Done: ${p.succeeded} of ${p.total} succeeded${p.dead > 0 ? `, ${p.dead} dead again` : ""}${p.other > 0 ? `, ${p.other} ended otherwise` : ""}.`
          : `Running: ${finished} of ${p.total} finished.`}
      </p>
      <progress max={p.total} value={finished} aria-labelledby="replay-status">
        {finished} of {p.total}
      </progress>
      <dl class="facts">
        <dt>Waiting to be sent</dt>
        <dd>{p.pending}</dd>
        <dt>Failed, retrying</dt>
        <dd>{p.retrying}</dd>
        <dt>Succeeded</dt>
        <dd>{p.succeeded}</dd>
        <dt>Dead again</dt>
        <dd>{p.dead}</dd>
        <dt>Ended otherwise</dt>
        <dd>{p.other}</dd>
      </dl>
      {!p.done &&
        (props.auto ? (
          <p>
            This page reloads every {REFRESH_S} seconds until the replay is done.{" "}
            <a href={stop}>Stop reloading</a>
          </p>
        ) : (
          <p>
            Not reloading. <a href={reload}>Reload and resume</a>
          </p>
        ))}
      {props.more && (
        <p>
          More dead letters matched than one run replays.{" "}
          <a href={href(`${path}/replay`, { ...props.filters })}>Replay the next batch…</a>
        </p>
      )}
      <p>
        <a href={path}>Back to dead letters</a>
      </p>
    </Layout>
  );
}
