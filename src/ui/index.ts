import { Hono } from "hono";
import type { ApiHandle } from "./api-client";
import { dashboard } from "./dashboard";
import { failurePage, notFoundPage } from "./failure";
import { portal } from "./portal/routes";
import type { UiEnv } from "./session";

/**
 * The HTML faces of the service, served by the same Worker: the operator dashboard under
 * `/dashboard` and the consumer portal under `/portal`. Their pages call `self` (the API app)
 * in-process for every read and write.
 */
export function createUi(self: ApiHandle): Hono<UiEnv> {
  const ui = new Hono<UiEnv>();
  const provide = async (
    c: { set(key: "api", value: ApiHandle): void },
    next: () => Promise<void>,
  ) => {
    c.set("api", self);
    await next();
  };
  ui.use("/dashboard", provide);
  ui.use("/dashboard/*", provide);
  ui.use("/portal", provide);
  ui.use("/portal/*", provide);
  ui.route("/", dashboard);
  ui.route("/", portal);
  // Registered after every page: an unknown address under the UI answers a page, not JSON.
  ui.get("/dashboard/*", notFoundPage);
  ui.get("/portal/*", notFoundPage);
  ui.onError(failurePage);
  return ui;
}
