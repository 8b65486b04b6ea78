import { leaseMs, type Settings, settings } from "../config";
import { deleteApp } from "../db/apps";
import { finishMove, movingApps, saveMoveCursor } from "../db/directory";
import { copyChunk, type MoveCursor } from "../db/move";
import { log } from "../lib/log";
import { forgetPlacement, shardDb } from "../lib/topology";

/** Rows read per copy step. */
const MOVE_CHUNK = 200;

/**
 * How long a move waits after marking the app before copying: every isolate's cached placement
 * has expired by then (so none still writes to the old shard: ingest answers 503, consumers
 * hand the app's deliveries back), and any batch that started before has finished.
 */
export function moveFenceMs(cfg: Settings): number {
  return cfg.directoryCacheS * 1000 + leaseMs(cfg);
}

/**
 * Moves apps between shards, a step per sweep: after the fence, copies the app's rows in key
 * order (the cursor is saved after each chunk, so a sweep that dies resumes where it stopped),
 * then flips the directory and retires the old copy (deleted there in the background like a
 * deleted app). Returns how many moves finished.
 */
export async function advanceMoves(env: Env, now: number, within: () => boolean): Promise<number> {
  const fence = moveFenceMs(settings(env));
  let finished = 0;
  for (const move of await movingApps(env.DB)) {
    if (move.moving_to === null || move.moving_since === null) continue;
    if (now < move.moving_since + fence || !within()) continue;
    const from = shardDb(env, move.shard);
    const to = shardDb(env, move.moving_to);
    let cursor: MoveCursor = move.move_cursor
      ? (JSON.parse(move.move_cursor) as MoveCursor)
      : { table: 0, after: null, copied: 0 };
    let done = false;
    while (!done && within()) {
      const next = await copyChunk(from, to, move.app_id, cursor, MOVE_CHUNK);
      done = next.done;
      cursor = { table: next.table, after: next.after, copied: next.copied };
      if (!done) await saveMoveCursor(env.DB, move.app_id, JSON.stringify(cursor)).run();
    }
    if (!done) continue;
    await finishMove(env.DB, move.app_id, move.moving_to).run();
    forgetPlacement(move.app_id);
    // The old copy goes like a deleted app's: config at once, the rest in purge chunks.
    await deleteApp(from, move.app_id, Date.now());
    finished++;
    log("app moved", {
      appId: move.app_id,
      from: move.shard,
      to: move.moving_to,
      rowsCopied: cursor.copied,
      seconds: Math.round((Date.now() - move.moving_since) / 1000),
    });
  }
  return finished;
}
