/**
 * `npm run deploy -- --dry-run` as an operator runs it, on a machine with no Cloudflare account
 * and no network: it names every resource wrangler.toml asks for (read here independently of
 * the script), every step, and masks the secrets, and it changes nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const DEPLOY_CONFIG = resolve(ROOT, "wrangler.deploy.toml");

/** Runs the script with no account: no token, a home directory without a wrangler login. */
function deployScript(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: tmpdir(), XDG_CONFIG_HOME: tmpdir() };
  delete env.CLOUDFLARE_API_TOKEN;
  delete env.CLOUDFLARE_ACCOUNT_ID;
  const run = spawnSync(process.execPath, ["scripts/deploy.mjs", ...args], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/** wrangler.toml's resources, from its text: each `[[header]]` block's `key = "value"` lines. */
function configured() {
  const text = readFileSync(resolve(ROOT, "wrangler.toml"), "utf8");
  const blocks = text.split(/^(?=\[)/m);
  const values = (header: string, key: string) =>
    blocks
      .filter((b) => b.startsWith(`[[${header}]]`))
      .flatMap((b) => [...b.matchAll(new RegExp(`^${key} = "([^"]+)"`, "gm"))].map((m) => m[1]));
  return {
    bindings: values("d1_databases", "binding"),
    databases: values("d1_databases", "database_name"),
    queues: [
      ...values("queues.producers", "queue"),
      ...values("queues.consumers", "queue"),
      ...values("queues.consumers", "dead_letter_queue"),
    ],
    buckets: values("r2_buckets", "bucket_name"),
  };
}

describe("npm run deploy -- --dry-run", () => {
  it("prints every step for every resource of wrangler.toml, secrets masked, and exits 0", () => {
    const before = existsSync(DEPLOY_CONFIG) ? statSync(DEPLOY_CONFIG).mtimeMs : undefined;
    const { code, out, err } = deployScript("--dry-run");
    expect(err).toBe("");
    expect(code).toBe(0);
    const lines = out.split("\n").map((l) => l.trim());
    const { bindings, databases, queues, buckets } = configured();
    expect(bindings.length).toBeGreaterThan(0);
    expect(queues.length).toBeGreaterThan(0);
    for (const db of databases) expect(lines).toContain(`$ wrangler d1 create ${db}`);
    for (const q of new Set(queues)) expect(lines).toContain(`$ wrangler queues create ${q}`);
    for (const b of buckets) expect(lines).toContain(`$ wrangler r2 bucket create ${b}`);
    for (const binding of bindings) {
      expect(lines).toContain(
        `$ wrangler d1 migrations apply ${binding} --remote --config wrangler.deploy.toml`,
      );
    }
    for (const secret of ["ADMIN_TOKEN", "ENCRYPTION_KEY"]) {
      expect(lines).toContain(
        `$ wrangler secret put ${secret} --config wrangler.deploy.toml < ******** (generated)`,
      );
    }
    expect(lines).toContain("$ wrangler deploy --config wrangler.deploy.toml");
    expect(lines.at(-2)).toBe("Dry run: nothing was created, written, set or deployed.");
    // Nothing secret was made up and shown, and the deploy config was not written.
    expect(out).not.toMatch(/hladm_/);
    expect(existsSync(DEPLOY_CONFIG) ? statSync(DEPLOY_CONFIG).mtimeMs : undefined).toBe(before);
  });

  it("refuses an unknown option", () => {
    const { code, err } = deployScript("--dry-runn");
    expect(code).toBe(2);
    expect(err).toContain("unknown option: --dry-runn");
  });
});
