#!/usr/bin/env node
// @ts-check
/**
 * Writes src/schema.d.ts, the client's types, from the repository's docs/openapi.json with
 * openapi-typescript (`npm run client:generate` at the root). `--check` writes nothing and
 * fails when the committed file differs from a fresh generation (part of `npm test`, through
 * `npm run lint:openapi`), so the types cannot go stale when the API changes.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const SOURCE = new URL("../../../docs/openapi.json", import.meta.url);
const TARGET = new URL("../src/schema.d.ts", import.meta.url);
const HEADER = `/**
 * Generated from docs/openapi.json by openapi-typescript: do not edit by hand.
 * Rebuild with \`npm run client:generate\`; \`npm run lint:openapi\` fails when it is stale.
 */

`;
const check = process.argv.includes("--check");

const ast = await openapiTS(SOURCE, { silent: true });
const text = HEADER + astToString(ast);
const target = fileURLToPath(TARGET);

if (check) {
  const current = await readFile(TARGET, "utf8").catch(() => "");
  if (current !== text) {
    console.error(
      `${target} differs from the types docs/openapi.json generates: run \`npm run client:generate\` and commit it.`,
    );
    process.exit(1);
  }
  console.log("packages/client/src/schema.d.ts matches docs/openapi.json");
} else {
  await writeFile(TARGET, text);
  console.log(`wrote packages/client/src/schema.d.ts (${text.length} bytes)`);
}
