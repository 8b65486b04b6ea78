// @ts-check
/**
 * Open sockets of each workerd (see groupOpenFiles in proc.mjs): sampled twice a second, peak
 * per phase; each phase starts only once leftovers of the previous one closed.
 */
import { performance } from "node:perf_hooks";
import { progress } from "./context.mjs";
import { openFileLimit } from "./proc.mjs";
import { sleep } from "./stats.mjs";

/**
 * Starts sampling; `services()` gives the current pair (the floor may be replaced), and
 * `restartFloor()` replaces a floor whose sockets stay open.
 * @param {{
 *   services: () => { hook: import("./proc.mjs").Service, floor: import("./proc.mjs").Service },
 *   quick: boolean,
 *   restartFloor: () => Promise<void>,
 * }} o
 */
export function watchSockets(o) {
  const fileLimit = openFileLimit();
  const fdPeak = { hook: 0, floor: 0 };
  /** @type {Record<string, { hook: number, floor: number }>} */
  const peaks = {};
  const timer = setInterval(() => {
    const { hook, floor } = o.services();
    fdPeak.hook = Math.max(fdPeak.hook, hook.openFiles());
    fdPeak.floor = Math.max(fdPeak.floor, floor.openFiles());
  }, 500);
  timer.unref();
  const quiet = Math.min(3_000, Math.floor((fileLimit ?? 20_000) * 0.15));
  return {
    fileLimit,
    /** Peak open sockets per phase. */
    peaks,
    stop: () => clearInterval(timer),
    /**
     * Waits for leftover sockets to close, then starts counting the phase's peak. The floor's
     * sockets sometimes stay open for minutes after a fast drain; rather than let the next drain
     * exhaust the open-file limit, a floor still above the mark after the wait is replaced by a
     * fresh one before the phase starts.
     * @param {string} phase
     */
    async beforePhase(phase) {
      const w0 = performance.now();
      const max = o.quick ? 15_000 : 30_000;
      let said = false;
      const open = () => {
        const { hook, floor } = o.services();
        return { hook: hook.openFiles(), floor: floor.openFiles() };
      };
      for (let now = open(); now.hook > quiet || now.floor > quiet; now = open()) {
        if (!said) {
          progress(
            phase,
            `waiting for leftover sockets to close (Hooklane ${now.hook}, floor ${now.floor} open; limit ${fileLimit ?? "?"})`,
          );
          said = true;
        }
        if (performance.now() - w0 > max) {
          if (now.floor > quiet && now.floor > now.hook) {
            progress(phase, "  the floor's sockets stay open: restarting the floor worker");
            await o.restartFloor();
          } else progress(phase, "  still open; going on");
          break;
        }
        await sleep(500);
      }
      const now = open();
      fdPeak.hook = now.hook;
      fdPeak.floor = now.floor;
    },
    /** @param {string} phase */
    afterPhase(phase) {
      peaks[phase] = { ...fdPeak };
      const worst = Math.max(fdPeak.hook, fdPeak.floor);
      if (fileLimit !== null && worst > fileLimit * 0.8)
        progress(
          phase,
          `WARNING: a workerd held ${worst} open files (limit ${fileLimit}); raise \`ulimit -n\` if requests start failing`,
        );
    },
  };
}
