import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApi } from "../../src/api/app";
import { actAs } from "../../src/api/auth";
import { call } from "../helpers";
import { csrfOf, HTTPS, page, signIn } from "./support";

describe("pages call the API in-process", () => {
  const api = createApi();

  it("acts as the marked actor, and only for the marked Request object", async () => {
    const created = await call("POST", "/v1/apps", { body: { name: "In-process" } });
    const appId = (created.body as { id: string }).id;

    const asAdmin = actAs(new Request(`${HTTPS}/v1/apps/${appId}`), { kind: "admin" });
    const ok = await api.fetch(asAdmin, env, createExecutionContext());
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }).id).toBe(appId);

    // A copy of the request is a new object: it carries no actor, and no header can claim one.
    const copy = new Request(asAdmin, { headers: { "x-actor": "admin" } });
    const refused = await api.fetch(copy, env, createExecutionContext());
    expect(refused.status).toBe(401);

    // An app actor is held to its own app: another app's id answers 404.
    const other = await call("POST", "/v1/apps", { body: { name: "Other" } });
    const otherId = (other.body as { id: string }).id;
    const scoped = actAs(new Request(`${HTTPS}/v1/apps/${otherId}`), {
      kind: "app",
      appId,
      keyId: "portal_test",
    });
    expect((await api.fetch(scoped, env, createExecutionContext())).status).toBe(404);
  });

  it("refuses a dashboard form without the session's CSRF token, and changes nothing", async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const missing = await page("POST", "/dashboard/sign-out", { cookie, form: {} });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain("CSRF token is missing or wrong");
    const wrong = await page("POST", "/dashboard/sign-out", { cookie, form: { csrf: `${csrf}x` } });
    expect(wrong.status).toBe(403);
    // The session is still live: the form above changed nothing.
    expect((await page("GET", "/dashboard/apps", { cookie })).status).toBe(200);
    const right = await page("POST", "/dashboard/sign-out", { cookie, form: { csrf } });
    expect(right.status).toBe(303);
    expect((await page("GET", "/dashboard/apps", { cookie })).status).toBe(303);
  });
});
