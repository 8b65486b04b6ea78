import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/api/cursor";
import { attemptId, packEntry } from "../../src/db/attempt-log";
import { fanOutColumn } from "../../src/db/messages";
import { bucketOf, deliveryId, newId } from "../../src/lib/ids";
import { readOps, resetOps } from "../../src/lib/ops";
import type { Page } from "../api/support";
import { call, newApp, newEndpoint } from "../helpers";

/**
 * D1 bills every row read. A cursor page must seek to its cursor through the list's index, so
 * a page deep in a list costs what the first page costs (`limit + 1` rows), not every row
 * before it. Measured like the write budget: `meta.rows_read` of every D1 result, OPS_COUNTERS on.
 */
const COUNTING = { OPS_COUNTERS: "true" };
const ROWS = 60;
const LIMIT = 5;

/** A list route seeded with ROWS rows; `keys` in the list's own order (first page first). */
interface Seeded {
  path: string;
  keys: string[];
  /** The key of a listed item in the API's answer. */
  keyOf: (item: Record<string, unknown>) => string;
  /** Rows a cursor's seek reads beyond the first page's, whatever the depth (default 0). */
  seekRows?: number;
}

/** `count` ids of one prefix, oldest first (newId is monotonic, so they sort as made). */
const ids = (prefix: Parameters<typeof newId>[0], count = ROWS) =>
  Array.from({ length: count }, () => newId(prefix));

/** Inserts rows in one statement: they travel as one JSON parameter (?1); `more` binds ?2... */
async function insertRows(sql: string, rows: unknown[][], ...more: unknown[]): Promise<void> {
  await env.DB.prepare(sql)
    .bind(JSON.stringify(rows), ...more)
    .run();
}

const byId = (item: Record<string, unknown>) => String(item.id);
const newestFirst = (keys: string[]) => [...keys].reverse();
const now = Date.now();

let appId: string;
let endpointId: string;
let profileId: string;

beforeAll(async () => {
  ({ appId } = await newApp("reads"));
  const ep = await newEndpoint(appId, { url: "https://reads.example.com/hook" });
  endpointId = ep.id;
  profileId = ep.authProfileId;
});

/** Every cursor-paged list, seeded deep enough that a scan would show. */
const LISTS: { name: string; seed: () => Promise<Seeded> }[] = [
  {
    name: "apps",
    seed: async () => {
      const keys = ids("app");
      await insertRows(
        "INSERT INTO apps (id, name, created_at, updated_at) SELECT value ->> 0, 'seeded', ?2, ?2 FROM json_each(?1)",
        keys.map((k) => [k]),
        now,
      );
      return { path: "/v1/apps", keys: newestFirst(keys), keyOf: byId };
    },
  },
  {
    name: "api keys",
    seed: async () => {
      const keys = ids("key");
      await insertRows(
        `INSERT INTO api_keys (id, app_id, token_hash, created_at)
         SELECT value ->> 0, ?2, 'seeded-' || (value ->> 0), ?3 FROM json_each(?1)`,
        keys.map((k) => [k]),
        appId,
        now,
      );
      return { path: `/v1/apps/${appId}/api-keys`, keys: newestFirst(keys), keyOf: byId };
    },
  },
  {
    name: "event types (by name, ascending)",
    seed: async () => {
      const keys = Array.from({ length: ROWS }, (_, i) => `seeded.e${String(i).padStart(3, "0")}`);
      await insertRows(
        `INSERT INTO event_types (app_id, name, created_at, updated_at)
         SELECT ?2, value ->> 0, ?3, ?3 FROM json_each(?1)`,
        keys.map((k) => [k]),
        appId,
        now,
      );
      return {
        path: `/v1/apps/${appId}/event-types`,
        keys,
        keyOf: (item) => String(item.name),
      };
    },
  },
  {
    name: "auth profiles",
    seed: async () => {
      const keys = ids("ap");
      await insertRows(
        `INSERT INTO auth_profiles (id, app_id, type, private, created_at, updated_at)
         SELECT value ->> 0, ?2, 'hmac-sha256', 0, ?3, ?3 FROM json_each(?1)`,
        keys.map((k) => [k]),
        appId,
        now,
      );
      return { path: `/v1/apps/${appId}/auth-profiles`, keys: newestFirst(keys), keyOf: byId };
    },
  },
  {
    name: "endpoints",
    seed: async () => {
      const keys = ids("ep");
      await insertRows(
        `INSERT INTO endpoints (id, app_id, url, auth_profile_id, disabled, created_at, updated_at)
         SELECT value ->> 0, ?2, 'https://seeded.example.com/', ?3, 1, ?4, ?4 FROM json_each(?1)`,
        keys.map((k) => [k]),
        appId,
        profileId,
        now,
      );
      return { path: `/v1/apps/${appId}/endpoints`, keys: newestFirst(keys), keyOf: byId };
    },
  },
  {
    name: "messages",
    seed: async () => {
      const keys = ids("msg");
      // Each fans out to the endpoint: a page also reads its deliveries' history.
      await insertRows(
        `INSERT INTO messages (app_id, id, event_type, payload, endpoints)
         SELECT ?2, value ->> 0, 'seeded.event', '{}', ?3 FROM json_each(?1)`,
        keys.map((k) => [k]),
        appId,
        fanOutColumn([endpointId]),
      );
      return { path: `/v1/apps/${appId}/messages`, keys: newestFirst(keys), keyOf: byId };
    },
  },
  {
    name: "an endpoint's attempts",
    seed: async () => {
      // As the consumer logs them: one row per batch, several entries each (ROWS in all).
      const PER_ROW = 5;
      const rowIds = ids("att", ROWS / PER_ROW);
      const rows = rowIds.map((rowId) => {
        const messageIds = ids("msg", PER_ROW);
        const entries = messageIds.map((m) =>
          packEntry([m, 1, "failed", now, 10, 500, "HTTP 500", null]),
        );
        return [rowId, bucketOf(String(messageIds[0])), JSON.stringify(entries)];
      });
      await insertRows(
        `INSERT INTO attempt_log (app_id, bucket, id, endpoint_id, entries)
         SELECT ?2, value ->> 1, value ->> 0, ?3, value ->> 2 FROM json_each(?1)`,
        rows,
        appId,
        endpointId,
      );
      const keys = rowIds.flatMap((rowId) =>
        Array.from({ length: PER_ROW }, (_, i) => attemptId(rowId, i)),
      );
      return {
        path: `/v1/apps/${appId}/endpoints/${endpointId}/attempts`,
        keys: newestFirst(keys),
        keyOf: byId,
      };
    },
  },
  {
    name: "dead letters",
    seed: async () => {
      // Three endpoints per message: the cursor (a delivery id) seeks on both key columns.
      const endpoints = [endpointId, ...ids("ep", 2)].sort();
      const pairs = ids("msg", ROWS / endpoints.length).flatMap((m) =>
        endpoints.map((e) => [m, e]),
      );
      await insertRows(
        `INSERT INTO dead_letters (app_id, message_id, endpoint_id, reason, attempts, dead_at)
         SELECT ?2, value ->> 0, value ->> 1, 'gone', 1, ?3 FROM json_each(?1)`,
        pairs,
        appId,
        now,
      );
      return {
        path: `/v1/apps/${appId}/dead-letters`,
        keys: newestFirst(pairs.map(([m, e]) => deliveryId(m ?? "", e ?? ""))),
        keyOf: (item) => String(item.deliveryId),
        // SQLite seeks a row-value bound `(message_id, endpoint_id) < (?, ?)` to the cursor's own
        // row and steps over it: one row, the same at any depth (a scan would read ~50 here).
        seekRows: 1,
      };
    },
  },
  {
    name: "audit entries",
    seed: async () => {
      const keys = ids("aud");
      await insertRows(
        `INSERT INTO audit_log (id, app_id, actor, action, resource_type, created_at)
         SELECT value ->> 0, ?2, 'admin', 'update', 'endpoint', ?3 FROM json_each(?1)`,
        keys.map((k) => [k]),
        appId,
        now,
      );
      return { path: `/v1/apps/${appId}/audit`, keys: newestFirst(keys), keyOf: byId };
    },
  },
];

describe("rows read by a list page", () => {
  it.each(LISTS)("a deep page of $name reads no more rows than the first", async ({ seed }) => {
    const { path, keys, keyOf, seekRows = 0 } = await seed();
    const page = async (cursor: string | null) => {
      const query = `?limit=${LIMIT}${cursor ? `&cursor=${cursor}` : ""}`;
      resetOps();
      const res = await call<Page<Record<string, unknown>>>("GET", `${path}${query}`, {
        vars: COUNTING,
      });
      expect(res.status).toBe(200);
      return { body: res.body, read: readOps().d1RowsRead };
    };
    await page(null); // warms this isolate's auth caches, which the measured calls then skip
    const first = await page(null);
    expect(first.body.data.map(keyOf)).toEqual(keys.slice(0, LIMIT));

    // A cursor near the end: the rows before it in list order are what a scan would read and a
    // seek skips; after it come LIMIT + 1 rows (a full page and the row that says there is more).
    const at = ROWS - LIMIT - 2;
    const deep = await page(encodeCursor(keys[at] ?? ""));
    expect(deep.body.data.map(keyOf)).toEqual(keys.slice(at + 1, at + 1 + LIMIT));
    expect(deep.body.nextCursor).toBe(encodeCursor(keys[at + LIMIT] ?? ""));
    expect(deep.read).toBeLessThanOrEqual(first.read + seekRows);
    // A shallow cursor costs what a deep one does: the cost does not grow with depth.
    const shallow = await page(encodeCursor(keys[0] ?? ""));
    expect(shallow.body.data.map(keyOf)).toEqual(keys.slice(1, 1 + LIMIT));
    expect(deep.read).toBeLessThanOrEqual(shallow.read);
    // And the first page itself reads its page, not the list.
    expect(first.read).toBeLessThan(ROWS / 2);
  });
});
