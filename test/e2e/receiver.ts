/**
 * The e2e tests' webhook receiver: a real HTTP server on 127.0.0.1 that records every request
 * and verifies Standard Webhooks signatures with the public `standardwebhooks` library.
 */

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { Webhook } from "standardwebhooks";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the receiver's behaviour sees of a request. */
export interface ReceiverRequest {
  /** The `webhook-id` header ("" when absent). */
  webhookId: string;
  /** 1 for the first request with this webhook id on this path, 2 for the next, ... */
  attempt: number;
  /** URL path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body as received. */
  body: string;
}

/** How the receiver answers one request. */
export interface ReceiverReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to exercise timeouts and concurrency limits). */
  delayMs?: number;
  /** Drop the connection instead of answering (after delayMs), like a crashed receiver. */
  destroy?: boolean;
}

/** A behaviour deciding each reply; may be async. */
export type ReceiverBehaviour = (req: ReceiverRequest) => ReceiverReply | Promise<ReceiverReply>;

/** One request the receiver got. */
export interface Received extends ReceiverRequest {
  method: string;
  /** Arrival time, `Date.now()` when the body was complete. */
  receivedAt: number;
  /** Signature check result when a secret is set for the path; undefined otherwise. */
  verified: boolean | undefined;
  /** Why verification failed, when it did. */
  verifyError?: string;
  /** The status answered (undefined while pending, or when the connection was dropped). */
  responseStatus?: number;
}

/** A running test receiver. */
export interface Receiver {
  /** `http://127.0.0.1:<port><path>`. */
  url(path: string): string;
  /** Every request so far, in arrival order (live array). */
  requests: Received[];
  /** Verify requests to `path` with this Standard Webhooks secret (`whsec_...`). */
  setSecret(path: string, secret: string): void;
  /** Polls `pred` every 50 ms; rejects naming `what` and listing the requests on timeout. */
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Stops listening and drops open connections (including delayed answers). */
  close(): Promise<void>;
}

/** Flattens Node's header record to what standardwebhooks expects. */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

/**
 * Starts an HTTP receiver on a free 127.0.0.1 port. It records every request and, for paths
 * with a secret, verifies the Standard Webhooks signature. Answers 200 "ok" unless a
 * behaviour says otherwise; a behaviour that throws answers 500.
 */
export async function startReceiver(behaviour?: ReceiverBehaviour): Promise<Receiver> {
  const decide: ReceiverBehaviour = behaviour ?? (() => ({ status: 200, body: "ok" }));
  const requests: Received[] = [];
  const secrets = new Map<string, string>();
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const receivedAt = Date.now();
    const path = new URL(req.url ?? "/", "http://receiver").pathname;
    const header = req.headers["webhook-id"];
    const webhookId = (Array.isArray(header) ? header[0] : header) ?? "";
    // Counted per path: the same message goes to several endpoints, each with its own retries.
    const key = `${path}\u0000${webhookId}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);

    let verified: boolean | undefined;
    let verifyError: string | undefined;
    const secret = secrets.get(path);
    if (secret !== undefined) {
      try {
        // jsonParse off: judge the signature only, not whether the body happens to be JSON.
        new Webhook(secret).verify(body, flatHeaders(req.headers), { jsonParse: false });
        verified = true;
      } catch (err) {
        verified = false;
        verifyError = err instanceof Error ? err.message : String(err);
      }
    }
    const record: Received = {
      webhookId,
      attempt,
      path,
      headers: req.headers,
      body,
      method: req.method ?? "",
      receivedAt,
      verified,
      ...(verifyError === undefined ? {} : { verifyError }),
    };
    requests.push(record);

    let reply: ReceiverReply;
    try {
      reply = await decide({ webhookId, attempt, path, headers: req.headers, body });
    } catch (err) {
      reply = { status: 500, body: `receiver behaviour threw: ${String(err)}` };
    }
    if (reply.delayMs !== undefined && reply.delayMs > 0) await delay(reply.delayMs);
    // The client may have given up (timeout) or close() may have dropped the socket meanwhile.
    if (res.destroyed) return;
    if (reply.destroy) {
      req.socket.destroy();
      return;
    }
    record.responseStatus = reply.status;
    res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
    res.end(reply.body ?? "");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error("could not read the receiver's port");
  }
  const base = `http://127.0.0.1:${address.port}`;

  let closed: Promise<void> | undefined;
  return {
    url: (path) => `${base}${path.startsWith("/") ? path : `/${path}`}`,
    requests,
    setSecret: (path, secret) => {
      secrets.set(path, secret);
    },
    waitFor: async (pred, timeoutMs, what) => {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) {
          const seen = requests
            .map((r) => `  ${r.path} id=${r.webhookId} #${r.attempt} -> ${r.responseStatus}`)
            .join("\n");
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; ` +
              `receiver saw ${requests.length} request(s)${seen ? `:\n${seen}` : ""}`,
          );
        }
        await sleep(50);
      }
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        // Keep-alive sockets from workerd would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
