/**
 * Compile-time tests, checked by `npm run typecheck` (never run): right calls compile, with the
 * types the schema says. Wrong calls, which must not compile, are in wrong-calls.ts.
 */
import {
  type App,
  type Attempt,
  type Endpoint,
  Hooklane,
  HooklaneError,
  type Message,
  type Page,
  paginate,
} from "../src/index.js";

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

export async function rightCalls(hooklane: Hooklane): Promise<void> {
  const app = await hooklane.apps.create({ name: "Acme", ingestRateLimit: 100 });
  assertType<Equal<typeof app, App>>();

  const endpoint = await hooklane.endpoints.create(app.id, {
    url: "https://example.com/hook",
    eventTypes: ["invoice.*"],
    ordering: "fifo",
  });
  assertType<Equal<typeof endpoint, Endpoint>>();

  const message = await hooklane.messages.send(
    app.id,
    { eventType: "invoice.paid", payload: { invoice: "1001", amount: 4200 } },
    { idempotencyKey: "invoice-1001-paid" },
  );
  assertType<Equal<typeof message, Message>>();

  const attempts = await hooklane.attempts.listByMessage(app.id, message.id, { limit: 10 });
  assertType<Equal<typeof attempts.data, Attempt[]>>();

  const deleted = await hooklane.apps.delete(app.id);
  assertType<Equal<typeof deleted, undefined>>();

  const health = await hooklane.request("get", "/v1/apps/{appId}/endpoints/{endpointId}/health", {
    path: { appId: app.id, endpointId: endpoint.id },
  });
  assertType<Equal<typeof health, Awaited<ReturnType<Hooklane["endpoints"]["health"]>>>>();

  const apps: Page<App> = await hooklane.apps.list({ limit: 5 });
  for await (const each of paginate((cursor) => hooklane.apps.list({ cursor }))) {
    assertType<Equal<typeof each, App>>();
  }
  void apps;

  try {
    await hooklane.apps.update(app.id, { portalOrigins: ["https://app.example.com"] });
  } catch (err) {
    if (err instanceof HooklaneError) {
      const fields: string[] = err.errors.map((e) => e.field);
      const status: number = err.status;
      void [fields, status];
    }
  }
}

export const client = new Hooklane({ baseUrl: "http://127.0.0.1:8787", token: "hk_x" });
