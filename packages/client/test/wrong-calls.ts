/**
 * Compile-time tests, checked by `npm run typecheck` (never run): each call below is wrong and
 * must fail to compile; if one ever compiles, its `@ts-expect-error` is itself an error.
 */
import type { Hooklane } from "../src/index.js";

export async function wrongCalls(hooklane: Hooklane): Promise<void> {
  // @ts-expect-error `name` is a string, not a number.
  await hooklane.apps.create({ name: 42 });

  // @ts-expect-error `payload` is a JSON object, not a string.
  await hooklane.messages.send("app_1", { eventType: "invoice.paid", payload: "{}" });

  // @ts-expect-error `ordering` is "none" or "fifo".
  await hooklane.endpoints.create("app_1", { url: "https://example.com", ordering: "lifo" });

  // @ts-expect-error the list takes `limit`, not `size`.
  await hooklane.messages.list("app_1", { size: 10 });

  // @ts-expect-error no such route.
  await hooklane.request("get", "/v1/nothing", {});

  const path = { appId: "app_1" };
  // @ts-expect-error the path needs `endpointId` as well.
  await hooklane.request("get", "/v1/apps/{appId}/endpoints/{endpointId}", { path });
}
