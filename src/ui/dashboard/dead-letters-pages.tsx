/**
 * The dead-letter pages' markup: the list with its filter, the bulk replay's confirmation and
 * its progress. The routes that load them are in dead-letters.tsx.
 */
import type { Problem } from "../api-client";
import { type AppView, ProblemNote } from "../apps";
import { Csrf, Layout } from "../layout";
import { href, Pager } from "./paging";

/** Most deliveries one bulk replay call restarts (the API's own cap). */
export const REPLAY_BATCH = 1000;
/** Seconds between reloads of a running replay's progress page. */
export const REFRESH_S = 2;

/** An app's dashboard address. */
export const base = (appId: string) => `/dashboard/apps/${encodeURIComponent(appId)}`;

export interface DeadLetterView {
  deliveryId: string;
  messageId: string;
  endpointId: string;
  reason: string;
  attempts: number;
  deadAt: string;
}

export interface Progress {
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
export interface Filters {
  endpointId?: string;
  reason?: string;
  since?: string;
  until?: string;
}

/** The filter form, shared by the list and the confirmation. */
export function FilterFields(props: { filters: Filters }) {
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

export function DeadLettersPage(props: {
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

export function ConfirmPage(props: {
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

export function ProgressPage(props: {
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
