// @ts-check
/**
 * The deploy script's pure half: what the Worker's config asks for, what the account already
 * has (read from wrangler's list commands), and the steps between the two. Nothing here runs
 * wrangler or touches a file, so every decision is testable without a Cloudflare account.
 */
import { stripVTControlCharacters } from "node:util";
import { parseToml } from "./toml.mjs";

/** The Worker's secrets: `npm run deploy` asks for them, or generates them. */
export const SECRETS = /** @type {const} */ (["ADMIN_TOKEN", "ENCRYPTION_KEY"]);

/** Secrets that `--rotate-secrets` replaces (see `plan`: ENCRYPTION_KEY never is). */
const ROTATABLE = new Set(["ADMIN_TOKEN"]);

/** wrangler.toml's placeholder ids (`00000000-0000-0000-0000-…`) stand for "not created yet". */
const PLACEHOLDER_ID = /^(00000000-0000-0000-0000-\d{12})?$/;

/**
 * @typedef {{ binding: string, name: string, id: string }} Database
 *   a `[[d1_databases]]` entry; `id` is "" while it is wrangler.toml's placeholder
 * @typedef {{ worker: string, databases: Database[], queues: string[], buckets: string[] }} Resources
 * @typedef {{ name: string, uuid: string }} RemoteDatabase
 * @typedef {object} AccountState what the account already has
 * @property {RemoteDatabase[]} databases
 * @property {string[]} queues
 * @property {string[]} buckets
 * @property {string[]} secrets the Worker's secrets (empty when the Worker does not exist yet)
 * @typedef {"create" | "reuse" | "config" | "migrate" | "secret" | "keep" | "deploy"} StepKind
 * @typedef {object} Step
 * @property {StepKind} kind
 * @property {string} title what the step does, for the transcript
 * @property {string[]} [wrangler] the wrangler arguments it runs
 * @property {string} [secret] for "secret" and "keep": the secret's name (its value goes on stdin)
 * @property {string} [database] for a D1 "create": the database's name
 */

/**
 * @param {unknown} value
 * @returns {Record<string, unknown>[]}
 */
function entries(value) {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error("wrangler config: expected an array of tables");
  return value;
}

/**
 * @param {Record<string, unknown>} entry
 * @param {string} field
 * @param {string} where
 */
function text(entry, field, where) {
  const value = entry[field];
  if (typeof value !== "string" || value === "")
    throw new Error(`wrangler config: ${where} has no ${field}`);
  return value;
}

/**
 * Every resource the Worker's config names that must exist before it deploys: D1 databases,
 * queues (producers, consumers and their dead-letter queues, each once) and R2 buckets.
 * @param {string} source the config's TOML text
 * @returns {Resources}
 */
export function resourcesOf(source) {
  const config = parseToml(source);
  if (typeof config.name !== "string") throw new Error("wrangler config: no Worker name");
  const queuesTable = /** @type {Record<string, unknown>} */ (config.queues ?? {});
  const queues = new Set();
  for (const p of entries(queuesTable.producers)) queues.add(text(p, "queue", "a queue producer"));
  for (const c of entries(queuesTable.consumers)) {
    queues.add(text(c, "queue", "a queue consumer"));
    if (c.dead_letter_queue !== undefined)
      queues.add(text(c, "dead_letter_queue", "a queue consumer"));
  }
  return {
    worker: config.name,
    databases: entries(config.d1_databases).map((d) => {
      const id = typeof d.database_id === "string" ? d.database_id : "";
      return {
        binding: text(d, "binding", "a d1_databases entry"),
        name: text(d, "database_name", "a d1_databases entry"),
        id: PLACEHOLDER_ID.test(id) ? "" : id,
      };
    }),
    queues: [...queues],
    buckets: entries(config.r2_buckets).map((b) => text(b, "bucket_name", "an r2_buckets entry")),
  };
}

/**
 * The id each D1 binding gets: the config's own real id, else the account's database of that
 * name; missing ones are absent (not created yet).
 * @param {Resources} resources
 * @param {RemoteDatabase[]} remote
 * @returns {Map<string, string>} binding to database id
 */
export function databaseIds(resources, remote) {
  const ids = new Map();
  for (const db of resources.databases) {
    const id = db.id || remote.find((r) => r.name === db.name)?.uuid;
    if (id) ids.set(db.binding, id);
  }
  return ids;
}

/**
 * The steps from `state` to a deployed Worker. Resources that exist are reused, missing ones
 * created; secrets that exist are kept unless `rotateSecrets` (ADMIN_TOKEN only: the script
 * cannot read the current ENCRYPTION_KEY back to keep old data readable, so it never replaces
 * it). A second run against what the first one made plans no creation.
 * @param {Resources} resources
 * @param {AccountState} state
 * @param {{ deployConfig: string, rotateSecrets?: boolean }} options
 * @returns {Step[]}
 */
export function plan(resources, state, { deployConfig, rotateSecrets = false }) {
  /** @type {Step[]} */
  const steps = [];
  const ids = databaseIds(resources, state.databases);
  for (const db of resources.databases) {
    const id = ids.get(db.binding);
    steps.push(
      id
        ? { kind: "reuse", title: `D1 database ${db.name} (${db.binding}) exists: ${id}` }
        : {
            kind: "create",
            title: `Create D1 database ${db.name} (binding ${db.binding})`,
            wrangler: ["d1", "create", db.name],
            database: db.name,
          },
    );
  }
  for (const queue of resources.queues) {
    steps.push(
      state.queues.includes(queue)
        ? { kind: "reuse", title: `Queue ${queue} exists` }
        : { kind: "create", title: `Create queue ${queue}`, wrangler: ["queues", "create", queue] },
    );
  }
  for (const bucket of resources.buckets) {
    steps.push(
      state.buckets.includes(bucket)
        ? { kind: "reuse", title: `R2 bucket ${bucket} exists` }
        : {
            kind: "create",
            title: `Create R2 bucket ${bucket}`,
            wrangler: ["r2", "bucket", "create", bucket],
          },
    );
  }
  const bindings = resources.databases.map((db) => `${db.binding} = ${db.name}`).join(", ");
  steps.push({
    kind: "config",
    title: `Write ${deployConfig}: wrangler.toml with the real database ids (${bindings || "no D1"})`,
  });
  const config = ["--config", deployConfig];
  for (const db of resources.databases) {
    steps.push({
      kind: "migrate",
      title: `Apply the D1 migrations to ${db.binding} (${db.name}, remote)`,
      wrangler: ["d1", "migrations", "apply", db.binding, "--remote", ...config],
    });
  }
  for (const secret of SECRETS) {
    const exists = state.secrets.includes(secret);
    steps.push(
      exists && !(rotateSecrets && ROTATABLE.has(secret))
        ? {
            kind: "keep",
            title: `Keep secret ${secret} (already set${rotateSecrets ? "; never rotated here" : ""})`,
            secret,
          }
        : {
            kind: "secret",
            title: `${exists ? "Replace" : "Set"} secret ${secret}`,
            wrangler: ["secret", "put", secret, ...config],
            secret,
          },
    );
  }
  steps.push({
    kind: "deploy",
    title: `Deploy Worker ${resources.worker}`,
    wrangler: ["deploy", ...config],
  });
  return steps;
}

/**
 * The config to deploy: the source text unchanged except each `[[d1_databases]]` entry's
 * `database_id`, which becomes the real id (added when the entry has none).
 * @param {string} source wrangler.toml's text
 * @param {Map<string, string>} ids binding to database id
 * @param {string} banner first line, a comment saying where the file comes from
 */
export function deployConfigText(source, ids, banner) {
  // The k-th `[[d1_databases]]` block is the k-th database the config declares.
  const bindings = resourcesOf(source).databases.map((db) => db.binding);
  let k = 0;
  const blocks = source.split(/^(?=[ \t]*\[)/m).map((block) => {
    if (!/^[ \t]*\[\[[ \t]*d1_databases[ \t]*\]\]/.test(block)) return block;
    const binding = bindings[k++];
    const id = binding && ids.get(binding);
    if (!id) throw new Error(`no database id for D1 binding ${binding || "(unnamed)"}`);
    const line = `database_id = ${JSON.stringify(id)}`;
    const idLine = /^[ \t]*database_id[ \t]*=.*$/m;
    return idLine.test(block) ? block.replace(idLine, line) : block.replace(/\n/, `\n${line}\n`);
  });
  return `# ${banner}\n${blocks.join("")}`;
}

/**
 * @param {string} output
 * @returns {unknown}
 */
function jsonIn(output) {
  const clean = stripVTControlCharacters(output);
  const start = clean.search(/[[{]/);
  const end = Math.max(clean.lastIndexOf("]"), clean.lastIndexOf("}"));
  if (start < 0 || end < start) throw new Error("expected JSON from wrangler");
  return JSON.parse(clean.slice(start, end + 1));
}

/**
 * `wrangler d1 list --json`: the account's databases.
 * @param {string} stdout
 * @returns {RemoteDatabase[]}
 */
export function parseD1List(stdout) {
  const list = jsonIn(stdout);
  if (!Array.isArray(list)) throw new Error("wrangler d1 list --json: expected an array");
  return list.map((db) => ({ name: String(db?.name ?? ""), uuid: String(db?.uuid ?? "") }));
}

/**
 * `wrangler secret list` (JSON, its default format): the secrets' names.
 * @param {string} stdout
 * @returns {string[]}
 */
export function parseSecretList(stdout) {
  const list = jsonIn(stdout);
  if (!Array.isArray(list)) throw new Error("wrangler secret list: expected an array");
  return list.map((s) => String(s?.name ?? ""));
}

/**
 * `wrangler queues list`, a table: the values of its `name` column.
 * @param {string} stdout
 * @returns {string[]}
 */
export function parseQueueTable(stdout) {
  const rows = stripVTControlCharacters(stdout)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("│") && line.endsWith("│"))
    .map((line) =>
      line
        .slice(1, -1)
        .split("│")
        .map((cell) => cell.trim()),
    );
  const column = rows[0]?.indexOf("name") ?? -1;
  if (column < 0) return [];
  return rows.slice(1).map((row) => row[column] ?? "");
}

/**
 * `wrangler r2 bucket list`: `name: <bucket>` lines.
 * @param {string} stdout
 * @returns {string[]}
 */
export function parseBucketList(stdout) {
  return [...stripVTControlCharacters(stdout).matchAll(/^name:\s+(\S+)\s*$/gm)].map(
    (m) => m[1] ?? "",
  );
}

/**
 * A command line as a shell would take it (arguments with spaces or quotes are quoted).
 * @param {string[]} args wrangler's arguments
 * @param {string} [stdin] what goes on stdin, shown as given (callers pass it masked)
 */
export function commandLine(args, stdin) {
  const quoted = args.map((a) =>
    /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`,
  );
  return `wrangler ${quoted.join(" ")}${stdin === undefined ? "" : ` < ${stdin}`}`;
}
