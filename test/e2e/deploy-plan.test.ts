/**
 * `npm run deploy` without an account: the plan (a pure function of the config and of what the
 * account has), wrangler's list outputs, the generated config, and whole runs against a fake
 * wrangler that keeps an account in memory. A second run creates nothing and keeps the secrets.
 * Secret values are only ever compared, never shown in a failure message.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deployConfigText,
  parseBucketList,
  parseD1List,
  parseQueueTable,
  parseSecretList,
  plan,
  resourcesOf,
} from "../../scripts/lib/deploy-plan.mjs";
import { DEPLOY_CONFIG, DeployStop, deploy, type Runner } from "../../scripts/lib/deploy-run.mjs";
import { parseToml } from "../../scripts/lib/toml.mjs";

/**
 * Two shards, a second delivery queue, a dead-letter queue named only as such, and a bucket.
 */
const CONFIG = `name = "hooklane"
main = "src/index.ts"

[[d1_databases]]
binding = "DB"
database_name = "hooklane"
# Replace with the id printed by wrangler d1 create.
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = "migrations"

[[d1_databases]]
binding = "DB_1"
database_name = "hooklane-1"
database_id = "00000000-0000-0000-0000-000000000001"
migrations_dir = "migrations"

[[r2_buckets]]
binding = "ARCHIVE"
bucket_name = "hooklane-archive"

[[queues.producers]]
binding = "DELIVERIES"
queue = "hooklane-deliveries"

[[queues.producers]]
binding = "DELIVERIES_1"
queue = "hooklane-deliveries-1"

[[queues.consumers]]
queue = "hooklane-deliveries"
dead_letter_queue = "hooklane-dlq"

[[queues.consumers]]
queue = "hooklane-deliveries-1"
dead_letter_queue = "hooklane-dlq"

`;

const NOTHING = { databases: [], queues: [], buckets: [], secrets: [] };
const OPTIONS = { deployConfig: DEPLOY_CONFIG };
const kinds = (steps: { kind: string }[]) => steps.map((s) => s.kind);

describe("deploy plan", () => {
  const resources = resourcesOf(CONFIG);

  it("reads every database, queue (dead-letter queues too, each once) and bucket", () => {
    expect(resources).toEqual({
      worker: "hooklane",
      databases: [
        { binding: "DB", name: "hooklane", id: "" },
        { binding: "DB_1", name: "hooklane-1", id: "" },
      ],
      queues: ["hooklane-deliveries", "hooklane-deliveries-1", "hooklane-dlq"],
      buckets: ["hooklane-archive"],
    });
  });

  it("creates everything on an empty account, then migrates every shard and deploys", () => {
    const steps = plan(resources, NOTHING, OPTIONS);
    expect(steps.filter((s) => s.kind === "create").map((s) => s.wrangler)).toEqual([
      ["d1", "create", "hooklane"],
      ["d1", "create", "hooklane-1"],
      ["queues", "create", "hooklane-deliveries"],
      ["queues", "create", "hooklane-deliveries-1"],
      ["queues", "create", "hooklane-dlq"],
      ["r2", "bucket", "create", "hooklane-archive"],
    ]);
    expect(steps.filter((s) => s.kind === "migrate").map((s) => s.wrangler)).toEqual([
      ["d1", "migrations", "apply", "DB", "--remote", "--config", DEPLOY_CONFIG],
      ["d1", "migrations", "apply", "DB_1", "--remote", "--config", DEPLOY_CONFIG],
    ]);
    expect(kinds(steps).slice(6)).toEqual([
      "config",
      "migrate",
      "migrate",
      "secret",
      "secret",
      "deploy",
    ]);
    expect(steps.at(-1)?.wrangler).toEqual(["deploy", "--config", DEPLOY_CONFIG]);
  });

  it("reuses what exists and creates only what is missing", () => {
    const state = {
      databases: [{ name: "hooklane", uuid: "11111111-aaaa-bbbb-cccc-000000000000" }],
      queues: ["hooklane-dlq", "someone-elses-queue"],
      buckets: ["hooklane-archive"],
      secrets: ["ENCRYPTION_KEY"],
    };
    const steps = plan(resources, state, OPTIONS);
    expect(steps.filter((s) => s.kind === "create").map((s) => s.wrangler?.at(-1))).toEqual([
      "hooklane-1",
      "hooklane-deliveries",
      "hooklane-deliveries-1",
    ]);
    expect(steps.filter((s) => s.kind === "reuse").map((s) => s.title)).toEqual([
      "D1 database hooklane (DB) exists: 11111111-aaaa-bbbb-cccc-000000000000",
      "Queue hooklane-dlq exists",
      "R2 bucket hooklane-archive exists",
    ]);
    expect(steps.filter((s) => s.kind === "secret").map((s) => s.secret)).toEqual(["ADMIN_TOKEN"]);
    expect(steps.filter((s) => s.kind === "keep").map((s) => s.secret)).toEqual(["ENCRYPTION_KEY"]);
  });

  it("plans no creation once everything exists; --rotate-secrets replaces ADMIN_TOKEN only", () => {
    const state = {
      databases: [
        { name: "hooklane", uuid: "11111111-0000-0000-0000-000000000000" },
        { name: "hooklane-1", uuid: "22222222-0000-0000-0000-000000000000" },
      ],
      queues: resources.queues,
      buckets: resources.buckets,
      secrets: ["ADMIN_TOKEN", "ENCRYPTION_KEY"],
    };
    const again = plan(resources, state, OPTIONS);
    expect(kinds(again).filter((k) => k === "create" || k === "secret")).toEqual([]);
    expect(kinds(again)).toContain("deploy");
    const rotated = plan(resources, state, { ...OPTIONS, rotateSecrets: true });
    expect(rotated.filter((s) => s.kind === "secret").map((s) => s.title)).toEqual([
      "Replace secret ADMIN_TOKEN",
    ]);
  });

  it("takes a real id written in the config as it is", () => {
    const real = CONFIG.replace(
      "00000000-0000-0000-0000-000000000001",
      "33333333-0000-0000-0000-000000000000",
    );
    const steps = plan(resourcesOf(real), NOTHING, OPTIONS);
    expect(steps.filter((s) => s.kind === "create" && s.database).map((s) => s.database)).toEqual([
      "hooklane",
    ]);
  });

  it("writes the config unchanged but for the database ids", () => {
    const ids = new Map([
      ["DB", "11111111-0000-0000-0000-000000000000"],
      ["DB_1", "22222222-0000-0000-0000-000000000000"],
    ]);
    const text = deployConfigText(CONFIG, ids, "generated");
    expect(text.startsWith("# generated\n")).toBe(true);
    const parsed = parseToml(text);
    expect(parsed.d1_databases).toEqual(
      (parseToml(CONFIG).d1_databases as Record<string, string>[]).map((d) => ({
        ...d,
        database_id: ids.get(d.binding ?? ""),
      })),
    );
    expect(text.replace(/^database_id = .*$/gm, "")).toBe(
      `# generated\n${CONFIG.replace(/^database_id = .*$/gm, "")}`,
    );
    expect(() => deployConfigText(CONFIG, new Map(), "x")).toThrow("DB");
  });

  it("reads wrangler's list outputs", () => {
    expect(parseD1List('[{"uuid":"u-1","name":"hooklane","num_tables":3}]')).toEqual([
      { name: "hooklane", uuid: "u-1" },
    ]);
    expect(parseSecretList('[\n  {"name": "ADMIN_TOKEN", "type": "secret_text"}\n]')).toEqual([
      "ADMIN_TOKEN",
    ]);
    const table = [
      " ⛅️ wrangler 4.86.0",
      "───────────────────",
      "┌─────┬─────────────────────┬────────────┐",
      "│ id  │ name                │ producers  │",
      "├─────┼─────────────────────┼────────────┤",
      "│ q1  │ hooklane-deliveries │ 1          │",
      "├─────┼─────────────────────┼────────────┤",
      "│ q2  │ hooklane-dlq        │ 1          │",
      "└─────┴─────────────────────┴────────────┘",
    ].join("\n");
    expect(parseQueueTable(table)).toEqual(["hooklane-deliveries", "hooklane-dlq"]);
    expect(parseQueueTable("")).toEqual([]);
    const buckets =
      "Listing buckets...\nname:           hooklane-archive\ncreation_date:  2026-01-01T00:00:00.000Z\n\nname:           other\ncreation_date:  x";
    expect(parseBucketList(buckets)).toEqual(["hooklane-archive", "other"]);
  });
});

/** An account in memory, changed by the wrangler commands the deploy runs. */
class FakeAccount {
  databases: { name: string; uuid: string }[] = [];
  queues: string[] = [];
  buckets: string[] = [];
  secrets = new Map<string, string>();
  workerExists = false;
  calls: string[][] = [];
  /** A command (its first words) that fails, to test stopping. */
  failing = "";

  wrangler: Runner = async (args, { input } = {}) => {
    this.calls.push(args);
    const line = args.join(" ");
    const ok = (stdout = "") => ({ code: 0, stdout, stderr: "" });
    if (this.failing && line.startsWith(this.failing))
      return { code: 7, stdout: "", stderr: "boom" };
    const name = args.at(-1) ?? "";
    if (line === "d1 list --json") return ok(JSON.stringify(this.databases));
    if (line.startsWith("d1 create ")) {
      this.databases.push({ name, uuid: `${this.databases.length + 1}`.padStart(8, "0") });
      return ok();
    }
    if (line.startsWith("queues list --page ")) {
      // One queue a page, so the lookup has to page through.
      const page = this.queues.slice(Number(name) - 1, Number(name));
      const rows = page.map((q) => `│ id-${q} │ ${q} │`);
      return ok(["│ id │ name │", ...rows].join("\n├──┤\n"));
    }
    if (line.startsWith("queues create ")) this.queues.push(name);
    if (line === "r2 bucket list") return ok(this.buckets.map((b) => `name:  ${b}`).join("\n"));
    if (line.startsWith("r2 bucket create ")) this.buckets.push(name);
    if (line.startsWith("secret list ")) {
      if (!this.workerExists)
        return { code: 1, stdout: "", stderr: 'Worker "hooklane" not found.' };
      return ok(JSON.stringify([...this.secrets.keys()].map((n) => ({ name: n }))));
    }
    if (line.startsWith("secret put ")) {
      this.secrets.set(args[2] ?? "", input ?? "");
      this.workerExists = true;
    }
    if (line.startsWith("deploy ")) this.workerExists = true;
    return ok();
  };

  /** The commands run that change the account's resources or secrets. */
  changes(): string[] {
    return this.calls.map((a) => a.join(" ")).filter((l) => / create |^secret put /.test(l));
  }
}

describe("deploy runs against a fake account", () => {
  let root = "";
  let account: FakeAccount;
  let transcript: string[];
  const run = (ask?: (q: string, hidden: boolean) => Promise<string>, rotateSecrets = false) => {
    transcript = [];
    account.calls = [];
    const io = { say: (l: string) => transcript.push(l), ask };
    return deploy({ root, dryRun: false, rotateSecrets, wrangler: account.wrangler, io });
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "hooklane-deploy-"));
    await writeFile(join(root, "wrangler.toml"), CONFIG);
    account = new FakeAccount();
    account.queues = ["someone-elses-queue", "hooklane-dlq"];
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("creates what is missing, then a second run creates nothing and keeps the secrets", async () => {
    expect(await run()).toBe(0);
    expect(account.changes()).toEqual([
      "d1 create hooklane",
      "d1 create hooklane-1",
      "queues create hooklane-deliveries",
      "queues create hooklane-deliveries-1",
      "r2 bucket create hooklane-archive",
      `secret put ADMIN_TOKEN --config ${DEPLOY_CONFIG}`,
      `secret put ENCRYPTION_KEY --config ${DEPLOY_CONFIG}`,
    ]);
    expect(account.calls.at(-1)).toEqual(["deploy", "--config", DEPLOY_CONFIG]);
    const written = parseToml(await readFile(join(root, DEPLOY_CONFIG), "utf8"));
    expect(written.d1_databases).toMatchObject([
      { binding: "DB", database_id: "00000001" },
      { binding: "DB_1", database_id: "00000002" },
    ]);
    const token = account.secrets.get("ADMIN_TOKEN") ?? "";
    const key = account.secrets.get("ENCRYPTION_KEY") ?? "";
    expect(/^hladm_[A-Za-z0-9_-]{43}$/.test(token)).toBe(true);
    expect(Buffer.from(key, "base64").length).toBe(32);
    // The generated admin token is shown once; the encryption key never.
    const text = transcript.join("\n");
    expect(text.split(token).length - 1).toBe(1);
    expect(text.includes(key)).toBe(false);

    const secrets = new Map(account.secrets);
    expect(await run()).toBe(0);
    expect(account.changes()).toEqual([]);
    expect(account.secrets).toEqual(secrets);
    expect(account.calls.filter((a) => a[1] === "migrations").map((a) => a[3])).toEqual([
      "DB",
      "DB_1",
    ]);
    expect(transcript.join("\n").includes(token)).toBe(false);
  });

  it("asks, and --rotate-secrets replaces ADMIN_TOKEN with the one typed, never printing it", async () => {
    expect(await run()).toBe(0);
    const key = account.secrets.get("ENCRYPTION_KEY");
    const typed = `typed-${"x".repeat(40)}`;
    const answers = ["", "too-short", typed];
    const asked: string[] = [];
    const ask = async (question: string, hidden: boolean) => {
      asked.push(`${question}${hidden ? " (hidden)" : ""}`);
      return answers.shift() ?? "";
    };
    expect(await run(ask, true)).toBe(0);
    expect(asked).toEqual([
      "Go ahead? [Y/n] ",
      "ADMIN_TOKEN (input hidden; Enter generates one):  (hidden)",
      "ADMIN_TOKEN (input hidden; Enter generates one):  (hidden)",
    ]);
    expect(account.secrets.get("ADMIN_TOKEN") === typed).toBe(true);
    expect(account.secrets.get("ENCRYPTION_KEY") === key).toBe(true);
    expect(transcript.join("\n").includes(typed)).toBe(false);
    expect(account.changes()).toEqual([`secret put ADMIN_TOKEN --config ${DEPLOY_CONFIG}`]);
  });

  it("stops at a failed step, and at no, before changing anything", async () => {
    account.failing = "queues create hooklane-deliveries-1";
    expect(await run()).toBe(1);
    expect(account.calls.some((a) => a[0] === "deploy")).toBe(false);
    expect(transcript.join("\n")).toContain("Fix the cause and run");
    account.failing = "";
    expect(await run(async () => "n")).toBe(1);
    expect(account.changes()).toEqual([]);
  });

  it("explains a failed lookup (not signed in)", async () => {
    account.failing = "d1 list";
    await expect(run()).rejects.toThrow(DeployStop);
    await expect(run()).rejects.toThrow("npx wrangler login");
  });
});
