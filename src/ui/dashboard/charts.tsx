/**
 * Charts as inline SVG drawn on the server: the pages run no script (the CSP forbids it), and
 * an SVG with a title, a description and a data table beside it reads the same to a screen
 * reader as to the eye. Colours come from CSS variables (endpoints-style.ts), so both themes
 * keep their contrast.
 */

/** One point of a stats series, as the stats API answers it. */
export interface StatsPoint {
  at: string;
  requests: number;
  successes: number;
  successRate: number | null;
  p95Ms: number | null;
}

/** A stats answer's window and its points. */
export interface StatsSeries {
  window: "24h" | "7d";
  stepSeconds: number;
  total: {
    requests: number;
    successRate: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
  };
  points: StatsPoint[];
}

/** "98.5 %", or an en dash when there was nothing to rate. */
export function percent(rate: number | null): string {
  if (rate === null) return "–";
  const p = rate * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)} %`;
}

/** "120 ms", "1.5 s", or an en dash. */
export function duration(ms: number | null): string {
  if (ms === null) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** The words for a window: "24 hours", "7 days". */
export function windowWords(window: "24h" | "7d"): string {
  return window === "24h" ? "24 hours" : "7 days";
}

/** A step's start as its axis label: the hour for a day's chart, the day for a week's. */
export function stepLabel(at: string, window: "24h" | "7d"): string {
  const d = new Date(at);
  if (window === "24h") return `${String(d.getUTCHours()).padStart(2, "0")}:00`;
  const month = d.toLocaleString("en", { month: "short", timeZone: "UTC" });
  return `${month} ${d.getUTCDate()}`;
}

/** The full step label for tables: date and time, UTC. */
function stepTitle(at: string): string {
  return `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
}

const W = 640;
const H = 180;
const PAD = { left: 64, right: 12, top: 12, bottom: 30 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * power >= max) return m * power;
  return 10 * power;
}

type Kind = "deliveries" | "success" | "latency";

const KIND = {
  deliveries: {
    title: "Deliveries",
    unit: (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
  },
  success: { title: "Success rate", unit: (v: number) => percent(v) },
  latency: { title: "p95 latency", unit: (v: number) => duration(v) },
} as const;

function pointValue(p: StatsPoint, kind: Kind): number | null {
  if (kind === "deliveries") return p.requests;
  if (kind === "success") return p.successRate;
  return p.p95Ms;
}

/** The description a chart's SVG carries: what it shows, in one sentence with its figures. */
export function chartSummary(series: StatsSeries, kind: Kind): string {
  const span = windowWords(series.window);
  const step = series.window === "24h" ? "hour" : "6 hours";
  const { total } = series;
  if (total.requests === 0) return `No deliveries in the last ${span}.`;
  if (kind === "deliveries") {
    const peak = series.points.reduce((a, b) => (b.requests > a.requests ? b : a));
    return `${total.requests} deliveries in the last ${span}, per ${step}; the most, ${peak.requests}, in the ${step} from ${stepTitle(peak.at)}.`;
  }
  if (kind === "success")
    return `Success rate per ${step} over the last ${span}; ${percent(total.successRate)} in all.`;
  return `p95 latency per ${step} over the last ${span}; ${duration(total.p95Ms)} over the whole window.`;
}

/**
 * One chart of a series: bars for deliveries, a line for success rate or p95 latency. Steps
 * without deliveries break the line rather than drawing a zero.
 */
export function Chart(props: { id: string; series: StatsSeries; kind: Kind }) {
  const { series, kind, id } = props;
  const n = series.points.length;
  const values = series.points.map((p) => pointValue(p, kind));
  const top = kind === "success" ? 1 : niceMax(Math.max(0, ...values.map((v) => v ?? 0)));
  const x = (i: number) => PAD.left + (PLOT_W * (i + 0.5)) / n;
  const y = (v: number) => PAD.top + PLOT_H - (PLOT_H * Math.min(v, top)) / top;
  const ticks = [0, top / 2, top];
  const labelEvery = series.window === "24h" ? 6 : 4;
  const barW = Math.max(2, (PLOT_W / n) * 0.7);
  let path = "";
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    path += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
    pen = true;
  });
  const dots = values.flatMap((v, i) => (v === null ? [] : [{ cx: x(i), cy: y(v) }]));
  return (
    <figure class="chart">
      <figcaption id={`${id}-t`}>{KIND[kind].title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${id}-t ${id}-d`}
        class={`chart-svg chart-${kind}`}
      >
        <title>{`${KIND[kind].title}, last ${windowWords(series.window)}`}</title>
        <desc id={`${id}-d`}>{chartSummary(series, kind)}</desc>
        {ticks.map((t) => (
          <g>
            <line class="chart-grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text class="chart-label" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {KIND[kind].unit(t)}
            </text>
          </g>
        ))}
        {kind === "deliveries"
          ? values.map((v, i) =>
              v ? (
                <rect
                  class="chart-bar"
                  x={(x(i) - barW / 2).toFixed(1)}
                  y={y(v).toFixed(1)}
                  width={barW.toFixed(1)}
                  height={(PAD.top + PLOT_H - y(v)).toFixed(1)}
                />
              ) : null,
            )
          : [
              <path class="chart-line" d={path.trim()} />,
              ...dots.map((d) => (
                <circle class="chart-dot" cx={d.cx.toFixed(1)} cy={d.cy.toFixed(1)} r="4" />
              )),
            ]}
        {series.points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text class="chart-label" x={x(i)} y={H - 8} text-anchor="middle">
              {stepLabel(p.at, series.window)}
            </text>
          ) : null,
        )}
      </svg>
    </figure>
  );
}

/** Deliveries, success rate and p95 latency of a series, with its data as a table. */
export function SeriesCharts(props: { id: string; series: StatsSeries }) {
  const { series, id } = props;
  const span = windowWords(series.window);
  return (
    <div class="charts">
      <Chart id={`${id}-deliveries`} series={series} kind="deliveries" />
      <Chart id={`${id}-success`} series={series} kind="success" />
      <Chart id={`${id}-latency`} series={series} kind="latency" />
      <details class="chart-data">
        <summary>The charts' data, last {span}</summary>
        <table>
          <caption>
            Per {series.window === "24h" ? "hour" : "6 hours"}, last {span} (UTC)
          </caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">Deliveries</th>
              <th scope="col">Success rate</th>
              <th scope="col">p95 latency</th>
            </tr>
          </thead>
          <tbody>
            {series.points.map((p) => (
              <tr>
                <th scope="row">
                  <time datetime={p.at}>{stepTitle(p.at)}</time>
                </th>
                <td>{p.requests}</td>
                <td>{percent(p.successRate)}</td>
                <td>{duration(p.p95Ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

/** A 24-hour sparkline of deliveries per hour, its figures in its accessible name. */
export function Sparkline(props: { points: StatsPoint[] }) {
  const { points } = props;
  const w = 120;
  const h = 28;
  const total = points.reduce((sum, p) => sum + p.requests, 0);
  const peak = Math.max(0, ...points.map((p) => p.requests));
  const top = Math.max(1, peak);
  const step = points.length > 1 ? w / (points.length - 1) : w;
  const line = points
    .map((p, i) => `${(i * step).toFixed(1)},${(h - 2 - ((h - 4) * p.requests) / top).toFixed(1)}`)
    .join(" ");
  const label =
    total === 0
      ? "No deliveries in the last 24 hours"
      : `${total} deliveries in the last 24 hours, at most ${peak} in an hour`;
  return (
    <svg class="spark" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={label}>
      <title>{label}</title>
      <polyline class="spark-line" points={line} />
    </svg>
  );
}
