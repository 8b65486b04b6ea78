import type { Problem } from "../api-client";
import type { AppView } from "../apps";
import { Layout } from "../layout";
import { duration, percent, SeriesCharts, type StatsSeries, windowWords } from "./charts";
import { BreakerBadge, WindowTabs } from "./parts";

/** One endpoint's figures in the app's stats answer. */
export interface EndpointFigures {
  endpointId: string;
  url: string;
  disabled: boolean;
  disabledReason?: string;
  breaker: "closed" | "open" | "half-open";
  requests: number;
  successRate: number | null;
  p95Ms: number | null;
}

/** The app's stats answer (GET /v1/apps/{appId}/stats). */
export interface AppStats extends StatsSeries {
  endpoints: { asked: number; limit: number; more: boolean };
  byEndpoint: EndpointFigures[];
}

/** Below this success rate over the window, an endpoint is listed as failing. */
export const LOW_SUCCESS_RATE = 0.95;

/** The endpoints an operator should look at: breaker not closed, disabled, or failing often. */
export function failingEndpoints(figures: readonly EndpointFigures[]): EndpointFigures[] {
  return figures.filter(
    (e) =>
      e.disabled ||
      e.breaker !== "closed" ||
      (e.successRate !== null && e.successRate < LOW_SUCCESS_RATE),
  );
}

/** Why an endpoint is in the failing list, in words. */
function whyFailing(e: EndpointFigures): string {
  if (e.disabled) return `Disabled${e.disabledReason ? `: ${e.disabledReason}` : ""}`;
  if (e.breaker === "open") return "Breaker open: deliveries wait for the next probe";
  if (e.breaker === "half-open") return "Breaker half-open: a probe decides";
  return `Success rate ${percent(e.successRate)}`;
}

/** An app's overview: its settings, its traffic charts, and the endpoints that need a look. */
export function OverviewPage(props: {
  csrf: string;
  app: AppView;
  window: "24h" | "7d";
  stats: AppStats | null;
  statsProblem?: Problem;
}) {
  const { app, stats } = props;
  const base = `/dashboard/apps/${encodeURIComponent(app.id)}`;
  const failing = stats ? failingEndpoints(stats.byEndpoint) : [];
  return (
    <Layout
      title={app.name}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "overview" }}
    >
      <h1>{app.name}</h1>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{app.id}</code>
        </dd>
        <dt>Uid</dt>
        <dd>{app.uid ?? "none"}</dd>
        <dt>Shard</dt>
        <dd>{app.shard}</dd>
        <dt>Ingest rate limit</dt>
        <dd>{app.ingestRateLimit === undefined ? "unlimited" : `${app.ingestRateLimit} / s`}</dd>
        <dt>Endpoint limit</dt>
        <dd>{app.maxEndpoints ?? "default"}</dd>
        <dt>Created</dt>
        <dd>
          <time datetime={app.createdAt}>{app.createdAt}</time>
        </dd>
      </dl>

      <section aria-labelledby="traffic">
        <h2 id="traffic">Traffic</h2>
        <WindowTabs base={base} current={props.window} label="Traffic window" />
        {stats ? (
          <>
            <p class="ep-note">
              {stats.total.requests} deliveries in the last {windowWords(stats.window)}, success
              rate {percent(stats.total.successRate)}, p95 latency {duration(stats.total.p95Ms)}.
              {stats.endpoints.more &&
                ` These figures cover this app's newest ${stats.endpoints.asked} endpoints only.`}
            </p>
            <SeriesCharts id={`app-${stats.window}`} series={stats} />
          </>
        ) : (
          <p role="alert" class="error">
            The figures could not be read: {props.statsProblem?.title ?? "unknown error"}.
          </p>
        )}
      </section>

      <section aria-labelledby="failing">
        <h2 id="failing">Failing endpoints</h2>
        {stats && failing.length === 0 && (
          <p>
            None: every endpoint's breaker is closed and none is disabled or below{" "}
            {percent(LOW_SUCCESS_RATE)} success over the last {windowWords(stats.window)}.
          </p>
        )}
        {failing.length > 0 && (
          <table>
            <caption>
              Endpoints with an open or half-open breaker, disabled, or below{" "}
              {percent(LOW_SUCCESS_RATE)} success
            </caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Breaker</th>
                <th scope="col">Why</th>
                <th scope="col">Deliveries</th>
                <th scope="col">Success rate</th>
              </tr>
            </thead>
            <tbody>
              {failing.map((e) => (
                <tr>
                  <td>
                    <a href={`${base}/endpoints/${encodeURIComponent(e.endpointId)}`}>{e.url}</a>
                  </td>
                  <td>
                    <BreakerBadge state={e.breaker} />
                  </td>
                  <td>{whyFailing(e)}</td>
                  <td>{e.requests}</td>
                  <td>{percent(e.successRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <a href={`${base}/endpoints`}>All endpoints</a>
        </p>
      </section>
    </Layout>
  );
}
