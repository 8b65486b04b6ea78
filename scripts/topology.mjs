/**
 * The dev launcher's topology options: `--shards N` and `--delivery-queues M`, and the
 * wrangler config written for them (`.wrangler/topology/s<N>-q<M>.toml`).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Takes `--name N` / `--name=N` (a count from 1 to 16) out of the arguments.
 * @param {string[]} args mutated: the option is removed
 * @param {string} name
 * @returns {number} 1 when absent
 */
export function takeCount(args, name) {
  let value = "1";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === name) {
      value = args[i + 1] ?? "";
      args.splice(i, 2);
      i--;
    } else if (arg.startsWith(`${name}=`)) {
      value = arg.slice(name.length + 1);
      args.splice(i, 1);
      i--;
    }
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    console.error(`[dev] ${name} takes a whole number from 1 to 16 (got "${value}").`);
    process.exit(2);
  }
  return n;
}

/**
 * wrangler.toml's text with the paths it names (`main`, `migrations_dir`, the assets
 * `directory`) made absolute, for a copy of the config written in another directory.
 * @returns {string}
 */
export function relocatedConfig() {
  const absolute =
    (/** @type {string} */ key) => (/** @type {string} */ _, /** @type {string} */ path) =>
      `${key} = ${JSON.stringify(resolve(ROOT, path))}`;
  return readFileSync(resolve(ROOT, "wrangler.toml"), "utf8")
    .replace(/^main = "([^"]+)"$/m, absolute("main"))
    .replace(/^migrations_dir = "([^"]+)"$/m, absolute("migrations_dir"))
    .replace(/^directory = "([^"]+)"$/m, absolute("directory"));
}

/**
 * wrangler.toml plus the numbered shard and queue bindings, its paths made absolute
 * ({@link relocatedConfig}) so the file works from `.wrangler/topology/`. Written atomically: launchers
 * started at once with the same shape write the same bytes.
 * @param {number} shards
 * @param {number} queues
 * @returns {string} the path of the written config
 */
export function writeTopologyConfig(shards, queues) {
  const base = relocatedConfig();
  const consumer =
    /\[\[queues\.consumers\]\]\nqueue = "hooklane-deliveries"\n((?:[a-z_]+ = .*\n)+)/.exec(base);
  if (!consumer) throw new Error("wrangler.toml has no hooklane-deliveries consumer to copy");
  const blocks = [];
  for (let k = 1; k < shards; k++) {
    blocks.push(
      "[[d1_databases]]",
      `binding = "DB_${k}"`,
      `database_name = "hooklane-${k}"`,
      `database_id = "00000000-0000-0000-0000-${String(k).padStart(12, "0")}"`,
      `migrations_dir = ${JSON.stringify(resolve(ROOT, "migrations"))}`,
      "",
    );
  }
  for (let k = 1; k < queues; k++) {
    blocks.push(
      "[[queues.producers]]",
      `binding = "DELIVERIES_${k}"`,
      `queue = "hooklane-deliveries-${k}"`,
      "",
      "[[queues.consumers]]",
      `queue = "hooklane-deliveries-${k}"`,
      consumer[1] ?? "",
    );
  }
  const text = `# Written by scripts/dev.mjs for --shards ${shards} --delivery-queues ${queues}; do not edit.\n${base}\n${blocks.join("\n")}`;
  const dir = resolve(ROOT, ".wrangler", "topology");
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, `s${shards}-q${queues}.toml`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}
