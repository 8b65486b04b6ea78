// @ts-check
/** What a run records about itself: the commit measured and the Hooklane shape, as text. */
import { execFileSync } from "node:child_process";
import { ROOT } from "./proc.mjs";

/**
 * "1 D1 shard, 1 delivery queue". @param {{ shards: number, deliveryQueues: number }} shape
 */
export function shapeText(shape) {
  return `${shape.shards} D1 shard${shape.shards === 1 ? "" : "s"}, ${shape.deliveryQueues} delivery queue${shape.deliveryQueues === 1 ? "" : "s"}`;
}

/** The commit and how many files differ from it (the bench measures the working tree). */
export function gitInfo() {
  try {
    /** @type {import("node:child_process").ExecFileSyncOptionsWithStringEncoding} */
    const o = { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] };
    const commit = execFileSync("git", ["rev-parse", "HEAD"], o).trim();
    const status = execFileSync("git", ["status", "--porcelain"], o);
    return { commit, dirtyFiles: status.split("\n").filter(Boolean).length };
  } catch {
    return { commit: "unknown", dirtyFiles: 0 };
  }
}
