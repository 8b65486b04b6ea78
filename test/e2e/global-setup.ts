/**
 * Runs once before the e2e and browser files: applies the D1 migrations to a template state
 * directory with wrangler, the way `scripts/dev.mjs` does. A file that starts the default
 * service on a fresh state copies it, and dev.mjs's own migration step then finds nothing left
 * to apply. Wrangler applies each migration in its own local runtime, about a second apiece:
 * done once here instead of in every file. The README, restart, dev-vars and shard files still
 * take the whole path from an empty directory.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { copyAssets } from "../../scripts/assets.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER_JS = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

declare module "vitest" {
  export interface ProvidedContext {
    /** A state directory with every migration applied to `DB`; copy it, never write to it. */
    migratedState: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  copyAssets();
  const dir = await mkdtemp(join(tmpdir(), "hooklane-e2e-template-"));
  const args = ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir];
  let output = "";
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_JS, ...args], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (exit, signal) => resolve(exit ?? (signal ? 1 : 0)));
  });
  if (code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`wrangler d1 migrations apply failed (exit ${code}):\n${output}`);
  }
  project.provide("migratedState", dir);
  return () => rm(dir, { recursive: true, force: true });
}
