/**
 * Styles of the app overview and the endpoint pages: charts, sparklines, breaker badges,
 * action forms. Text colours pass WCAG AA (4.5:1) on the theme's background and panel, chart
 * marks 3:1 (non-text contrast), in the light and the dark theme alike.
 */
export const ENDPOINTS_STYLE = `
:root {
  --ep-bar: #0b57d0; --ep-ok-line: #146c2e; --ep-lat-line: #8e3a00; --ep-grid: #c4c8cc;
  --ep-open-fg: #8c1d18; --ep-open-bg: #fde7e6; --ep-half-fg: #6b4500; --ep-half-bg: #fff1d6;
  --ep-closed-fg: #0f5224; --ep-closed-bg: #e3f4e7; --ep-off-fg: #3d4247; --ep-off-bg: #e8eaed;
}
@media (prefers-color-scheme: dark) {
  :root {
    --ep-bar: #8ab4f8; --ep-ok-line: #8fd9a0; --ep-lat-line: #ffb77a; --ep-grid: #4a5058;
    --ep-open-fg: #ffd9d6; --ep-open-bg: #5c1a16; --ep-half-fg: #ffe2a8; --ep-half-bg: #4a3300;
    --ep-closed-fg: #c4f0cf; --ep-closed-bg: #123d1f; --ep-off-fg: #e1e4e8; --ep-off-bg: #353a41;
  }
}
.hint { color: var(--muted); font-size: 0.95em; }
/* The endpoint options' forms (dashboard and portal): wide enough for JSON. */
form.opts { display: flex; flex-direction: column; gap: 0.5rem; max-width: 40rem; margin: 0 0 1.5rem; }
form.opts textarea { font-family: ui-monospace, monospace; }
form.opts .hint { margin: 0; }
form.opts button { align-self: flex-start; }
.opts-pre { white-space: pre-wrap; word-break: break-all; margin: 0; }
.ep-note { color: var(--muted); font-size: 0.95em; margin: 0.25rem 0 0.75rem; }
.ep-notice { border-left: 4px solid var(--accent); background: var(--panel); padding: 0.5rem 0.75rem; }
.ep-title code { font-size: 0.8em; word-break: break-all; }
.ep-url, .ep-secret { word-break: break-all; }
.ep-scroll { overflow-x: auto; }
.ep-badge {
  display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.85em;
  font-weight: 600; margin-left: 0.25rem;
}
.ep-breaker-closed { color: var(--ep-closed-fg); background: var(--ep-closed-bg); }
.ep-breaker-open { color: var(--ep-open-fg); background: var(--ep-open-bg); }
.ep-breaker-half-open { color: var(--ep-half-fg); background: var(--ep-half-bg); }
.ep-disabled { color: var(--ep-off-fg); background: var(--ep-off-bg); }
.ep-windows ul { display: flex; gap: 0.5rem; list-style: none; margin: 0 0 0.75rem; padding: 0; }
.ep-windows a { display: block; padding: 0.25rem 0.75rem; border: 1px solid var(--line); border-radius: 999px;
  text-decoration: none; }
.ep-windows a[aria-current="page"] { background: var(--panel); color: var(--fg); font-weight: 600; }
.ep-actions { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; }
.ep-recover { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
.ep-form { max-width: 36rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 1rem; }
.chart { margin: 0; padding: 0.5rem; border: 1px solid var(--line); border-radius: 6px; }
.chart figcaption { font-weight: 600; margin-bottom: 0.25rem; }
.chart-svg { width: 100%; height: auto; display: block; }
.chart-grid { stroke: var(--ep-grid); stroke-width: 1; }
.chart-label { fill: var(--muted); font-size: 15px; font-family: system-ui, sans-serif; }
.chart-bar { fill: var(--ep-bar); }
.chart-line { fill: none; stroke-width: 2; }
.chart-success .chart-line { stroke: var(--ep-ok-line); }
.chart-success .chart-dot { fill: var(--ep-ok-line); }
.chart-latency .chart-line { stroke: var(--ep-lat-line); }
.chart-latency .chart-dot { fill: var(--ep-lat-line); }
.chart-data { grid-column: 1 / -1; }
.chart-data summary { cursor: pointer; color: var(--accent); }
.spark { display: block; }
.spark-line { fill: none; stroke: var(--ep-bar); stroke-width: 1.5; }
`;
