// @ts-check
/**
 * The bench's webhook receiver: a Node http server on 127.0.0.1 that records the arrival time of
 * every request, verifies Standard Webhooks signatures (with the `standardwebhooks` package) on
 * paths that have a secret, and answers 200. Requests are grouped in buckets (the first two path
 * segments: `/h/dlv1`, `/f/ingest1`, `/h/fan`), so every phase counts only its own arrivals.
 *
 * `hold(bucket)` parks the answers to a bucket's requests until released: the local queue
 * consumer handles one batch at a time, so a parked batch lets a backlog build up for a clean
 * drain measurement (see docs/BENCHMARKS.md).
 *
 * `respond(path, fn)` lets a phase choose how one path answers (a status, a delay); a request
 * that comes again after a non-2xx answer counts as a retry, not as a duplicate.
 *
 * A batch request (`webhook-id` `bat_...`, a JSON array of envelopes) counts as one request
 * (`arrivals`) and as one delivery per envelope, keyed by the envelope's `id` (the message id).
 */
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { Webhook } from "standardwebhooks";
import { sleep } from "./stats.mjs";

/**
 * @typedef {{ id: string, path: string, at: number, valid: boolean | undefined,
 *   deliveries: number }} Arrival one request; `deliveries`: envelopes in a batch body, else 1
 * @typedef {{
 *   arrivals: Arrival[],
 *   unique: Set<string>,
 *   duplicates: number,
 *   retries: number,
 *   invalid: number,
 *   invalidSamples: string[],
 *   verified: number,
 *   firstAt: number,
 *   lastAt: number,
 *   byId: Map<string, number>,
 *   byKey: Map<string, number>,
 * }} Bucket
 * `byId`: first arrival per webhook-id (per envelope id in a batch); `byKey`: per path +
 * webhook-id (one per delivery; per path + envelope id in a batch).
 */

/**
 * How a path answers one request, given its webhook-id: status (default 200) and delay.
 * @typedef {(id: string) => { status?: number, delayMs?: number }} Responder
 */

/** @param {string} path */
export function bucketOf(path) {
  return path.split("/").slice(0, 3).join("/");
}

/**
 * The delivery ids a request stands for: each envelope's `id` in a batch body (`bat_...`), else
 * the request's `webhook-id`.
 * @param {string} id
 * @param {string} body
 * @returns {string[]}
 */
function deliveryIds(id, body) {
  if (!id.startsWith("bat_")) return [id];
  try {
    const parsed = JSON.parse(body);
    if (Array.isArray(parsed) && parsed.length > 0)
      return parsed.map((e, i) => (typeof e?.id === "string" ? e.id : `${id}#${i}`));
  } catch {
    // not a JSON array: count the request as one delivery
  }
  return [id];
}

/** @param {import("node:http").IncomingHttpHeaders} headers */
function flatHeaders(headers) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export async function startReceiver() {
  /** @type {Map<string, Webhook>} */
  const verifiers = new Map();
  /** @type {Map<string, Bucket>} */
  const buckets = new Map();
  /** @type {Map<string, (() => void)[]>} */
  const held = new Map();
  /** @type {Map<string, Responder>} */
  const responders = new Map();
  /** Path + webhook-id of requests answered with a non-2xx status, until they come again. */
  const failedKeys = new Set();

  /** @param {string} name */
  const bucket = (name) => {
    let b = buckets.get(name);
    if (!b) {
      b = {
        arrivals: [],
        unique: new Set(),
        duplicates: 0,
        retries: 0,
        invalid: 0,
        invalidSamples: [],
        verified: 0,
        firstAt: Number.NaN,
        lastAt: Number.NaN,
        byId: new Map(),
        byKey: new Map(),
      };
      buckets.set(name, b);
    }
    return b;
  };

  const server = createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("error", () => {});
    req.on("end", () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString("utf8");
      const path = new URL(req.url ?? "/", "http://receiver").pathname;
      const header = req.headers["webhook-id"];
      const id = (Array.isArray(header) ? header[0] : header) ?? "";
      const b = bucket(bucketOf(path));
      /** @type {boolean | undefined} */
      let valid;
      const verifier = verifiers.get(path);
      if (verifier) {
        try {
          verifier.verify(body, flatHeaders(req.headers));
          valid = true;
          b.verified++;
        } catch (err) {
          valid = false;
          b.invalid++;
          if (b.invalidSamples.length < 5) b.invalidSamples.push(`${path}: ${String(err)}`);
        }
      }
      const ids = deliveryIds(id, body);
      for (const one of ids) {
        const key = `${path}\u0000${one}`;
        if (failedKeys.delete(key)) {
          b.retries++;
        } else if (b.unique.has(key)) {
          b.duplicates++;
        } else {
          b.unique.add(key);
          b.byKey.set(key, at);
          if (!b.byId.has(one)) b.byId.set(one, at);
        }
      }
      b.arrivals.push({ id, path, at, valid, deliveries: ids.length });
      if (Number.isNaN(b.firstAt)) b.firstAt = at;
      b.lastAt = at;
      const how = responders.get(path)?.(id);
      const status = how?.status ?? 200;
      if (status < 200 || status > 299)
        for (const one of ids) failedKeys.add(`${path}\u0000${one}`);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(status === 200 ? "ok" : "failing on purpose");
      };
      const delayMs = how?.delayMs ?? 0;
      const answer =
        delayMs > 0
          ? () => {
              setTimeout(send, delayMs);
            }
          : send;
      const parked = held.get(bucketOf(path));
      if (parked) parked.push(answer);
      else answer();
    });
  });
  // Long keep-alive, like common servers (nginx 75 s). With a short one, workerd sometimes
  // reused a connection just as Node closed it: the POST failed with "reset" before reaching
  // the receiver, five in a row opened an endpoint's breaker during the warm-up.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("receiver: no port");
  const base = `http://127.0.0.1:${address.port}`;

  return {
    base,
    /** @param {string} path */
    url: (path) => `${base}${path}`,
    /** @param {string} path @param {string} secret */
    setSecret(path, secret) {
      verifiers.set(path, new Webhook(secret));
    },
    /** How `path` answers from now on (see Responder). @param {string} path @param {Responder} fn */
    respond(path, fn) {
      responders.set(path, fn);
    },
    /** @param {string} name */
    bucket,
    /** Unique deliveries (path + webhook-id) seen in a bucket. @param {string} name */
    count: (name) => bucket(name).unique.size,
    /**
     * Parks answers to the bucket's requests; returns the release function, which answers them
     * all and returns the release time.
     * @param {string} name
     */
    hold(name) {
      /** @type {(() => void)[]} */
      const parked = [];
      held.set(name, parked);
      return () => {
        const at = performance.now();
        held.delete(name);
        for (const answer of parked) answer();
        return { at, parked: parked.length };
      };
    },
    /**
     * Waits until the bucket has `n` unique deliveries; false on timeout.
     * @param {string} name
     * @param {number} n
     * @param {number} timeoutMs
     * @param {(seen: number) => void} [onTick] called about every 5 s while waiting
     */
    async waitFor(name, n, timeoutMs, onTick) {
      const deadline = performance.now() + timeoutMs;
      let nextTick = performance.now() + 5_000;
      while (bucket(name).unique.size < n) {
        if (performance.now() > deadline) return bucket(name).unique.size >= n;
        if (onTick && performance.now() > nextTick) {
          onTick(bucket(name).unique.size);
          nextTick += 5_000;
        }
        await sleep(20);
      }
      return true;
    },
    /** Totals over every bucket whose name starts with `prefix`. @param {string} prefix */
    totals(prefix) {
      let invalid = 0;
      let verified = 0;
      let duplicates = 0;
      let retries = 0;
      /** @type {string[]} */
      const samples = [];
      for (const [name, b] of buckets) {
        if (!name.startsWith(prefix)) continue;
        invalid += b.invalid;
        verified += b.verified;
        duplicates += b.duplicates;
        retries += b.retries;
        samples.push(...b.invalidSamples);
      }
      return { invalid, verified, duplicates, retries, samples: samples.slice(0, 5) };
    },
    close() {
      for (const parked of held.values()) for (const answer of parked) answer();
      held.clear();
      return new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },
  };
}
