/** Small pieces the overview and endpoint pages share. */

/** The windows a chart page can show, as its tab links. */
export const WINDOWS = ["24h", "7d"] as const;
export type ChartWindow = (typeof WINDOWS)[number];

/** The `window` query value, or 24h for anything else. */
export function chartWindow(value: string | undefined): ChartWindow {
  return value === "7d" ? "7d" : "24h";
}

/** Links that switch a page's charts between 24 hours and 7 days (no script: plain links). */
export function WindowTabs(props: { base: string; current: ChartWindow; label: string }) {
  return (
    <nav aria-label={props.label} class="ep-windows">
      <ul>
        {WINDOWS.map((w) => (
          <li>
            <a
              href={`${props.base}?window=${w}`}
              aria-current={w === props.current ? "page" : undefined}
            >
              {w === "24h" ? "Last 24 hours" : "Last 7 days"}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** A breaker's state as a badge; words carry the meaning, colour only repeats it. */
export function BreakerBadge(props: { state: "closed" | "open" | "half-open" }) {
  return <span class={`ep-badge ep-breaker-${props.state}`}>{props.state}</span>;
}

/** The outcome of the last action, after its redirect. */
export function Notice(props: { text: string | null }) {
  return props.text ? (
    <p role="status" class="ep-notice">
      {props.text}
    </p>
  ) : null;
}
