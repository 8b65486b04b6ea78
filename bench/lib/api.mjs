// @ts-check
/**
 * HTTP helpers of the bench: a JSON client for Hooklane's management API and `/__ops`
 * counters, app setup, a bounded pool and a timed POST. Only the public API is used, so the
 * phases keep working while the server's internals change.
 */
import { performance } from "node:perf_hooks";

/** Headers of a floor ingest. */
export const JSON_HEADERS = { "content-type": "application/json" };

/**
 * A JSON client: the answer's status and its body (parsed when it is JSON).
 * @param {string} base
 * @param {string} token
 * @returns {(path: string, body?: unknown, method?: string) => Promise<{ status: number, body: any }>}
 */
export function apiClient(base, token) {
  return async (path, body, method) => {
    const res = await fetch(`${base}${path}`, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    /** @type {any} */
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };
}

/**
 * Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight.
 * @param {number} n
 * @param {number} concurrency
 * @param {(i: number) => Promise<void>} fn
 */
export async function pool(n, concurrency, fn) {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n && !failed) {
        const i = next++;
        try {
          await fn(i);
        } catch (err) {
          failed = true; // the other workers stop taking items
          throw err;
        }
      }
    }),
  );
}

/**
 * A POST that resolves to its status and the time the answer arrived.
 * @param {string} url
 * @param {Record<string, string>} headers
 * @param {string} body
 */
export async function post(url, headers, body) {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, at: performance.now(), text };
  } catch (err) {
    return { status: 0, at: performance.now(), text: String(err) };
  }
}

/**
 * Everything the bench says to one Hooklane: management calls, the `/__ops` counters and app
 * setup (one endpoint per receiver path, each with its own signing secret).
 * @param {{ baseUrl: string, adminToken: string }} hook
 * @param {{ url: (path: string) => string, setSecret: (path: string, secret: string) => void }} receiver
 * @param {{ createConcurrency: number, endpointMaxConcurrency: number | null }} setup
 */
export function hooklaneClient(hook, receiver, setup) {
  const api = apiClient(hook.baseUrl, hook.adminToken);
  return {
    api,
    /** Headers of an ingest. */
    auth: { authorization: `Bearer ${hook.adminToken}`, "content-type": "application/json" },
    /** The counters, or null when `/__ops` does not answer them. @returns {Promise<Record<string, number> | null>} */
    async readOps() {
      const res = await api("/__ops");
      return res.status === 200 && typeof res.body === "object" ? res.body : null;
    },
    async resetOps() {
      await api("/__ops/reset", {}, "POST");
    },
    /**
     * An app with one endpoint per receiver path; `endpoint` adds fields to every endpoint,
     * `appFields` to the app (e.g. `maxEndpoints`).
     * @param {string} name
     * @param {string[]} paths
     * @param {Record<string, unknown>} [endpoint]
     * @param {Record<string, unknown>} [appFields]
     * @returns {Promise<import("./context.mjs").App>}
     */
    async makeApp(name, paths, endpoint = {}, appFields = {}) {
      const app = await api("/v1/apps", { name, ...appFields });
      if (app.status !== 201)
        throw new Error(`POST /v1/apps: ${app.status} ${JSON.stringify(app.body)}`);
      const appId = /** @type {string} */ (app.body.id);
      await pool(paths.length, setup.createConcurrency, async (i) => {
        const path = /** @type {string} */ (paths[i]);
        const ep = await api(`/v1/apps/${appId}/endpoints`, {
          url: receiver.url(path),
          description: `bench ${path}`,
          ...(setup.endpointMaxConcurrency !== null
            ? { maxConcurrency: setup.endpointMaxConcurrency }
            : {}),
          ...endpoint,
        });
        if (ep.status !== 201)
          throw new Error(`POST endpoints: ${ep.status} ${JSON.stringify(ep.body)}`);
        receiver.setSecret(path, ep.body.secret);
      });
      return { appId, messagesUrl: `${hook.baseUrl}/v1/apps/${appId}/messages` };
    },
  };
}
