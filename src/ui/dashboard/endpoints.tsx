import type { z } from "zod";
import type { Endpoint } from "../../schemas/resources";
import type { Problem } from "../api-client";
import { type AppView, ProblemNote } from "../apps";
import { OptionsFacts, OptionsSection } from "../components/endpoint-options";
import { FORMATS, type OptionsState, type OptionsValues } from "../endpoint-options";
import { Csrf, Layout } from "../layout";
import { duration, percent, SeriesCharts, Sparkline, type StatsSeries } from "./charts";
import { BreakerBadge, type ChartWindow, Notice, WindowTabs } from "./parts";

export type EndpointView = z.infer<typeof Endpoint>;

/** An endpoint's stats answer (GET .../endpoints/{id}/stats). */
export interface EndpointStats extends StatsSeries {
  breaker: "closed" | "open" | "half-open";
  nextProbeAt: string | null;
}

/** An endpoint's health answer (GET .../endpoints/{id}/health). */
export interface EndpointHealth {
  breaker: "closed" | "open" | "half-open";
  consecutiveFailures: number;
  nextProbeAt: string | null;
  pausedUntil: string | null;
  inFlight: number;
  waiting: number;
  lastHour: {
    requests: number;
    successRate: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
  };
  lastDay: {
    requests: number;
    successRate: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
  };
  lastSuccessAt: string | null;
  disabled: boolean;
}

/** What the create form had when the API refused it, to show again. */
export interface CreateValues {
  url: string;
  description: string;
  eventTypes: string;
  format: string;
}

/** The endpoint pages' paths. */
export function endpointsHref(appId: string, endpointId?: string): string {
  const base = `/dashboard/apps/${encodeURIComponent(appId)}/endpoints`;
  return endpointId === undefined ? base : `${base}/${encodeURIComponent(endpointId)}`;
}

/** An app's endpoints, one cursor page at a time, each with its last day; and the create form. */
export function EndpointsPage(props: {
  csrf: string;
  app: AppView;
  endpoints: { endpoint: EndpointView; stats: EndpointStats | null }[];
  nextCursor: string | null;
  /** The app's event types, offered as a hint beside the form. */
  eventTypes: string[];
  refused?: { problem: Problem; values: CreateValues };
}) {
  const { app, refused } = props;
  const base = endpointsHref(app.id);
  return (
    <Layout
      title={`Endpoints · ${app.name}`}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "endpoints" }}
    >
      <h1>Endpoints</h1>
      {props.endpoints.length === 0 ? (
        <p>No endpoints yet.</p>
      ) : (
        <div class="ep-scroll">
          <table class="ep-table">
            <caption>Endpoints, newest first, with the last 24 hours of deliveries</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Event types</th>
                <th scope="col">Breaker</th>
                <th scope="col">Success rate</th>
                <th scope="col">p95 latency</th>
                <th scope="col">Last 24 hours</th>
              </tr>
            </thead>
            <tbody>
              {props.endpoints.map(({ endpoint, stats }) => (
                <tr>
                  <td class="ep-url">
                    <a href={endpointsHref(app.id, endpoint.id)}>{endpoint.url}</a>
                    {endpoint.disabled && <span class="ep-badge ep-disabled">disabled</span>}
                  </td>
                  <td>{eventTypesText(endpoint.eventTypes)}</td>
                  <td>{stats ? <BreakerBadge state={stats.breaker} /> : "–"}</td>
                  <td>{stats ? percent(stats.total.successRate) : "–"}</td>
                  <td>{stats ? duration(stats.total.p95Ms) : "–"}</td>
                  <td>{stats ? <Sparkline points={stats.points} /> : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.nextCursor && (
        <nav aria-label="Pages">
          <a href={`${base}?cursor=${encodeURIComponent(props.nextCursor)}`} rel="next">
            Older endpoints
          </a>
        </nav>
      )}

      <h2 id="create">Create an endpoint</h2>
      <form method="post" action={base} class="stack ep-form" aria-labelledby="create">
        <Csrf token={props.csrf} />
        {refused && <ProblemNote problem={refused.problem} />}
        <label for="ep-url">URL</label>
        <input
          id="ep-url"
          name="url"
          type="url"
          required
          maxlength={2048}
          value={refused?.values.url}
        />
        <label for="ep-description">Description</label>
        <input
          id="ep-description"
          name="description"
          maxlength={1000}
          value={refused?.values.description}
        />
        <label for="ep-event-types">Event types</label>
        <input
          id="ep-event-types"
          name="eventTypes"
          aria-describedby="ep-event-types-hint"
          value={refused?.values.eventTypes}
        />
        <p id="ep-event-types-hint" class="ep-note">
          Comma-separated; <code>invoice.*</code> takes every <code>invoice.</code> type; empty
          takes every type.
          {props.eventTypes.length > 0 &&
            ` This app's event types: ${props.eventTypes.join(", ")}.`}
        </p>
        <label for="ep-format">Format</label>
        <select id="ep-format" name="format" aria-describedby="ep-format-hint">
          {FORMATS.map((f) => (
            <option value={f} selected={f === (refused?.values.format ?? "standard-webhooks")}>
              {f}
            </option>
          ))}
        </select>
        <p id="ep-format-hint" class="ep-note">
          The request's shape. A payload filter, a transform and batching can be set on the
          endpoint's page once it is created.
        </p>
        <button type="submit">Create endpoint</button>
      </form>
    </Layout>
  );
}

function eventTypesText(types: string[]): string {
  return types.length === 0 ? "every type" : types.join(", ");
}

/** One endpoint: its settings, breaker and backlog, its charts, and what an operator can do. */
export function EndpointPage(props: {
  csrf: string;
  app: AppView;
  endpoint: EndpointView;
  health: EndpointHealth | null;
  stats: EndpointStats | null;
  window: ChartWindow;
  notice: string | null;
  /** An action the API refused, shown at the actions. */
  refused?: Problem;
  /** The signing secret (or public key) an operator asked to see, on this answer only. */
  revealed?: { label: string; value: string };
  /** The stored format, filter (as stored, indented), transform and batching. */
  options: OptionsValues;
  /** A refused options form, or a filter test's or transform preview's result. */
  optionsState?: OptionsState;
}) {
  const { app, endpoint: ep, health, stats } = props;
  const self = endpointsHref(app.id, ep.id);
  return (
    <Layout
      title={`Endpoint · ${app.name}`}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "endpoints" }}
    >
      <h1 class="ep-title">
        Endpoint <code>{ep.url}</code>
      </h1>
      <Notice text={props.notice} />
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{ep.id}</code>
        </dd>
        <dt>URL</dt>
        <dd class="ep-url">{ep.url}</dd>
        <dt>Description</dt>
        <dd>{ep.description ?? "none"}</dd>
        <dt>Event types</dt>
        <dd>{eventTypesText(ep.eventTypes)}</dd>
        <OptionsFacts stored={props.options} />
        <dt>State</dt>
        <dd>{ep.disabled ? "Disabled" : "Enabled"}</dd>
        {ep.disabled && (
          <>
            <dt>Disabled reason</dt>
            <dd>{ep.disabledReason ?? "none given"}</dd>
          </>
        )}
        <dt>Breaker</dt>
        <dd>{health ? <BreakerBadge state={health.breaker} /> : "unknown"}</dd>
        <dt>Next probe</dt>
        <dd>
          {health?.nextProbeAt ? (
            <time datetime={health.nextProbeAt}>{health.nextProbeAt}</time>
          ) : (
            "none due (the breaker is not open)"
          )}
        </dd>
        {health?.pausedUntil && (
          <>
            <dt>Paused until</dt>
            <dd>
              <time datetime={health.pausedUntil}>{health.pausedUntil}</time>
            </dd>
          </>
        )}
        <dt>In flight</dt>
        <dd>{health ? health.inFlight : "–"}</dd>
        <dt>Waiting</dt>
        <dd>{health ? health.waiting : "–"}</dd>
        <dt>Success rate</dt>
        <dd>
          {health
            ? `${percent(health.lastHour.successRate)} last hour, ${percent(health.lastDay.successRate)} last day`
            : "–"}
        </dd>
        <dt>Latency</dt>
        <dd>
          {health
            ? `p50 ${duration(health.lastDay.p50Ms)}, p95 ${duration(health.lastDay.p95Ms)} over the last day`
            : "–"}
        </dd>
        <dt>Last success</dt>
        <dd>
          {health?.lastSuccessAt ? (
            <time datetime={health.lastSuccessAt}>{health.lastSuccessAt}</time>
          ) : (
            "none"
          )}
        </dd>
      </dl>

      <section aria-labelledby="actions">
        <h2 id="actions">Actions</h2>
        {props.refused && <ProblemNote problem={props.refused} />}
        {props.revealed && (
          <div role="status" class="ep-notice">
            <p>
              {props.revealed.label}: <code class="ep-secret">{props.revealed.value}</code>
            </p>
            <p class="ep-note">Shown on this answer only; reloading the page hides it.</p>
          </div>
        )}
        <div class="ep-actions">
          <form method="post" action={`${self}/test`}>
            <Csrf token={props.csrf} />
            <button type="submit">Send test event</button>
          </form>
          <form method="post" action={`${self}/${ep.disabled ? "enable" : "disable"}`}>
            <Csrf token={props.csrf} />
            <button type="submit">{ep.disabled ? "Re-enable" : "Disable"}</button>
          </form>
          <form method="post" action={`${self}/recover`} class="ep-recover">
            <Csrf token={props.csrf} />
            <label for="ep-since">Since (UTC)</label>
            <input id="ep-since" name="since" type="datetime-local" required />
            <button type="submit">Recover since</button>
          </form>
          <form method="post" action={`${self}/reveal`}>
            <Csrf token={props.csrf} />
            <button type="submit">Reveal signing secret</button>
          </form>
        </div>
      </section>

      <OptionsSection
        base={self}
        csrf={props.csrf}
        stored={props.options}
        state={props.optionsState ?? {}}
      />

      <section aria-labelledby="traffic">
        <h2 id="traffic">Traffic</h2>
        <WindowTabs base={self} current={props.window} label="Traffic window" />
        {stats ? (
          <SeriesCharts id={`ep-${stats.window}`} series={stats} />
        ) : (
          <p class="error">The figures could not be read.</p>
        )}
      </section>
    </Layout>
  );
}
