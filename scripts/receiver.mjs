#!/usr/bin/env node
// @ts-check
/**
 * A webhook receiver for trying Hooklane locally: prints every request and, when given the
 * endpoint's secret, verifies it with the `standardwebhooks` library as a real consumer would.
 *
 *   npm run receiver                         # listens on 127.0.0.1:9000, answers 200
 *   npm run receiver -- --port 9001 --secret whsec_...   # also verifies signatures
 *   npm run receiver -- --status 500         # answer 500 to watch retries
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "9000" },
    secret: { type: "string" },
    status: { type: "string", default: "200" },
  },
});
const verifier = values.secret ? new Webhook(values.secret) : null;
const status = Number(values.status);

createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let verdict = "not checked (no --secret)";
    if (verifier) {
      try {
        verifier.verify(body, /** @type {Record<string, string>} */ (req.headers));
        verdict = "verified";
      } catch (err) {
        verdict = `INVALID: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    console.log(
      `${new Date().toISOString()} ${req.method} ${req.url} webhook-id=${req.headers["webhook-id"]} signature ${verdict}`,
    );
    console.log(`  ${body}`);
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(status < 300 ? "ok" : "failing on purpose");
  });
}).listen(Number(values.port), "127.0.0.1", () => {
  console.log(`receiver listening on http://127.0.0.1:${values.port} (answers ${status})`);
});
