// @ts-check
/**
 * The deploy script's steps, run through an injected wrangler runner and an injected
 * terminal, so tests drive it with a fake account. See scripts/deploy.mjs for the command.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import {
  commandLine,
  databaseIds,
  deployConfigText,
  parseBucketList,
  parseD1List,
  parseQueueTable,
  parseSecretList,
  plan,
  resourcesOf,
} from "./deploy-plan.mjs";

/** The generated config `npm run deploy` hands wrangler (gitignored; see the README). */
export const DEPLOY_CONFIG = "wrangler.deploy.toml";
const MASK = "********";
/** `wrangler queues list` pages through the account; this many pages at most. */
const MAX_QUEUE_PAGES = 50;

/**
 * @typedef {import("./deploy-plan.mjs").Resources} Resources
 * @typedef {import("./deploy-plan.mjs").AccountState} AccountState
 * @typedef {import("./deploy-plan.mjs").Step} Step
 * @typedef {{ code: number, stdout: string, stderr: string }} RunResult
 * @typedef {(args: string[], options?: { input?: string, capture?: boolean }) => Promise<RunResult>} Runner
 *   runs wrangler; `capture` collects its output instead of showing it, `input` is its stdin
 * @typedef {object} Io
 * @property {(line: string) => void} say prints a line of the transcript
 * @property {((question: string, hidden: boolean) => Promise<string>) | undefined} ask
 *   asks the operator (hidden: input not echoed); undefined when nobody is asked (--yes, no TTY)
 * @typedef {object} DeployOptions
 * @property {string} root the directory holding wrangler.toml; the deploy config goes there too
 * @property {boolean} dryRun print the steps, run nothing
 * @property {boolean} rotateSecrets replace secrets that exist (see `plan`)
 * @property {Runner} wrangler
 * @property {Io} io
 */

/** Thrown to stop the run with a message for the operator and an exit code. */
export class DeployStop extends Error {
  /**
   * @param {string} message
   * @param {number} code
   */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** @type {Record<string, { generate: () => string, check: (value: string) => string | undefined }>} */
const SECRET_RULES = {
  ADMIN_TOKEN: {
    generate: () => `hladm_${randomBytes(32).toString("base64url")}`,
    check: (v) => (/^\S{32,}$/.test(v) ? undefined : "at least 32 characters, no spaces"),
  },
  ENCRYPTION_KEY: {
    generate: () => randomBytes(32).toString("base64"),
    check: (v) =>
      Buffer.from(v, "base64").toString("base64") === v && Buffer.from(v, "base64").length === 32
        ? undefined
        : "base64 of exactly 32 bytes (openssl rand -base64 32)",
  },
};

/**
 * The error that stops the run when a read-only wrangler command failed.
 * @param {string[]} args
 * @param {RunResult} result
 */
function lookupFailed(args, result) {
  const output = stripVTControlCharacters(`${result.stderr}\n${result.stdout}`)
    .trim()
    .split("\n")
    .slice(-12)
    .join("\n");
  return new DeployStop(
    `\`${commandLine(args)}\` failed (exit ${result.code}):\n${output}\n` +
      "Signed in? Run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN; with several accounts,\n" +
      "also set CLOUDFLARE_ACCOUNT_ID.",
    result.code,
  );
}

/**
 * Runs wrangler for its output; a failure stops the run.
 * @param {Runner} wrangler
 * @param {string[]} args
 */
async function captured(wrangler, args) {
  const result = await wrangler(args, { capture: true });
  if (result.code !== 0) throw lookupFailed(args, result);
  return result.stdout;
}

/**
 * The read-only commands a real run starts with.
 * @param {Resources} resources
 */
function lookups(resources) {
  return {
    d1: ["d1", "list", "--json"],
    /** @param {number} page */
    queues: (page) => ["queues", "list", "--page", String(page)],
    r2: ["r2", "bucket", "list"],
    secrets: ["secret", "list", "--name", resources.worker],
  };
}

/**
 * What the account already has, from wrangler's list commands.
 * @param {Resources} resources
 * @param {Runner} wrangler
 * @returns {Promise<AccountState>}
 */
async function lookUp(resources, wrangler) {
  const commands = lookups(resources);
  const databases = parseD1List(await captured(wrangler, commands.d1));
  const queues = new Set();
  for (let page = 1; page <= MAX_QUEUE_PAGES; page++) {
    const listed = parseQueueTable(await captured(wrangler, commands.queues(page)));
    const fresh = listed.filter((q) => !queues.has(q));
    for (const q of fresh) queues.add(q);
    if (fresh.length === 0 || resources.queues.every((q) => queues.has(q))) break;
  }
  const buckets = parseBucketList(await captured(wrangler, commands.r2));
  const listed = await wrangler(commands.secrets, { capture: true });
  // A Worker that was never deployed has no secrets yet; `secret put` creates it.
  const noWorker = /Worker "[^"]+"[^\n]* not found/.test(listed.stderr + listed.stdout);
  if (listed.code !== 0 && !noWorker) throw lookupFailed(commands.secrets, listed);
  const secrets = listed.code === 0 ? parseSecretList(listed.stdout) : [];
  return { databases, queues: [...queues], buckets, secrets };
}

/**
 * The value of each secret the plan sets: asked for (Enter generates one) or generated.
 * @param {Step[]} steps
 * @param {Io} io
 * @returns {Promise<Map<string, { value: string, generated: boolean }>>}
 */
async function secretValues(steps, io) {
  const values = new Map();
  for (const { secret } of steps.filter((s) => s.kind === "secret")) {
    const rules = secret ? SECRET_RULES[secret] : undefined;
    if (!secret || !rules) throw new Error(`no rules for secret ${secret}`);
    let answer = "";
    for (let tries = 0; io.ask && tries < 3; tries++) {
      answer = (await io.ask(`${secret} (input hidden; Enter generates one): `, true)).trim();
      const problem = answer === "" ? undefined : rules.check(answer);
      if (!problem) break;
      io.say(`  ${secret} must be ${problem}.`);
      if (tries === 2) throw new DeployStop(`No valid ${secret} given; nothing was changed.`, 2);
    }
    values.set(secret, { value: answer || rules.generate(), generated: !answer });
  }
  return values;
}

/**
 * Prints the plan: what a run does, in order, with each wrangler command line (secrets masked).
 * @param {Step[]} steps
 * @param {Io} io
 * @param {string} secretNote how a secret's value is obtained
 */
function printPlan(steps, io, secretNote) {
  steps.forEach((step, i) => {
    io.say(`${String(i + 1).padStart(2)}. ${step.title}`);
    if (step.wrangler)
      io.say(
        `      $ ${commandLine(step.wrangler, step.secret && step.kind === "secret" ? `${MASK} (${secretNote})` : undefined)}`,
      );
  });
}

/**
 * Runs one step. Returns false when wrangler failed.
 * @param {Step} step
 * @param {{ options: DeployOptions, resources: Resources, state: AccountState, source: string,
 *   created: string[], values: Map<string, { value: string, generated: boolean }> }} ctx
 */
async function runStep(step, { options, resources, state, source, created, values }) {
  const { wrangler, io, root } = options;
  if (step.kind === "config") {
    // Databases created just now are looked up again for their ids.
    const remote = created.length
      ? parseD1List(await captured(wrangler, lookups(resources).d1))
      : state.databases;
    const ids = databaseIds(resources, remote);
    const banner = `Written by scripts/deploy.mjs from wrangler.toml with this account's database ids. Do not edit or commit: edit wrangler.toml and run npm run deploy.`;
    writeFileSync(join(root, DEPLOY_CONFIG), deployConfigText(source, ids, banner));
    for (const [binding, id] of ids) io.say(`      ${binding}: ${id}`);
    return true;
  }
  if (!step.wrangler) return true;
  const secret = step.kind === "secret" && step.secret ? values.get(step.secret) : undefined;
  const result = await wrangler(step.wrangler, secret ? { input: secret.value } : {});
  if (result.code !== 0) return false;
  if (step.database) created.push(step.database);
  if (secret?.generated && step.secret === "ADMIN_TOKEN") {
    io.say("");
    io.say("  Generated ADMIN_TOKEN. It is shown this once; save it in your password manager now:");
    io.say(`    ${secret.value}`);
    io.say("");
  }
  return true;
}

/**
 * Creates or reuses every resource wrangler.toml names, writes the deploy config, migrates
 * every D1 binding, sets missing secrets and deploys. Returns the exit code.
 * @param {DeployOptions} options
 * @returns {Promise<number>}
 */
export async function deploy(options) {
  const { root, dryRun, io, wrangler } = options;
  const source = readFileSync(join(root, "wrangler.toml"), "utf8");
  const resources = resourcesOf(source);
  io.say(
    `Hooklane deploy${dryRun ? " (dry run)" : ""}: Worker "${resources.worker}" from wrangler.toml`,
  );
  const dbs = resources.databases.map((d) => `${d.name} (${d.binding})`);
  io.say(`  D1 databases: ${dbs.join(", ") || "none"}`);
  io.say(`  Queues:       ${resources.queues.join(", ") || "none"}`);
  io.say(`  R2 buckets:   ${resources.buckets.join(", ") || "none"}`);
  io.say("");
  /** @type {AccountState} */
  let state = { databases: [], queues: [], buckets: [], secrets: [] };
  if (dryRun) {
    io.say("A real run first reads what the account has (read-only):");
    const { d1, queues, r2, secrets } = lookups(resources);
    for (const args of [d1, queues(1), r2, secrets]) io.say(`      $ ${commandLine(args)}`);
    io.say("This dry run asks no account, so it assumes nothing exists yet; a real run");
    io.say("reuses what exists and creates only what is missing. The steps:");
  } else {
    io.say("Reading what the account has...");
    state = await lookUp(resources, wrangler);
    io.say("The steps:");
  }
  const steps = plan(resources, state, {
    deployConfig: DEPLOY_CONFIG,
    rotateSecrets: options.rotateSecrets,
  });
  printPlan(steps, io, io.ask ? "asked; Enter generates one" : "generated");
  io.say("");
  if (dryRun) {
    io.say("Dry run: nothing was created, written, set or deployed.");
    return 0;
  }
  if (io.ask && !/^(y|yes|)$/i.test((await io.ask("Go ahead? [Y/n] ", false)).trim())) {
    io.say("Stopped; nothing was changed.");
    return 1;
  }
  const values = await secretValues(steps, io);
  /** @type {string[]} */
  const created = [];
  for (const [i, step] of steps.entries()) {
    io.say(`[${i + 1}/${steps.length}] ${step.title}`);
    if (!(await runStep(step, { options, resources, state, source, created, values }))) {
      io.say(`Step ${i + 1} failed; the steps after it did not run. Fix the cause and run`);
      io.say("`npm run deploy` again: what exists is checked and reused.");
      return 1;
    }
  }
  io.say("");
  io.say(`Deployed. Check it: curl <the workers.dev URL printed above>/healthz`);
  return 0;
}
