import { describe, expect, it } from "vitest";
import { call } from "../helpers";
import { csrfOf, page, signIn } from "./support";

describe("dashboard apps", () => {
  it("creates an app from the form, audited as the operator, and lists it", async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const res = await page("POST", "/dashboard/apps", {
      cookie,
      form: { csrf, name: "Form Co", uid: "form-co" },
    });
    expect(res.status).toBe(303);
    const location = res.headers.get("location") ?? "";
    const appId = decodeURIComponent(location.replace("/dashboard/apps/", ""));
    const app = await call("GET", `/v1/apps/${appId}`);
    expect(app.status).toBe(200);
    expect(app.body).toMatchObject({ name: "Form Co", uid: "form-co" });
    const audit = await call("GET", `/v1/apps/${appId}/audit`);
    expect(JSON.stringify(audit.body)).toContain('"actor":"admin"');

    const html = await (await page("GET", "/dashboard/apps", { cookie })).text();
    expect(html).toContain("Form Co");
    expect(html).toContain(appId);
  });

  it("shows the API's refusal next to the form, keeps the typed values, and creates nothing", async () => {
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
    const before = await call("GET", "/v1/apps?limit=100");
    const res = await page("POST", "/dashboard/apps", {
      cookie,
      form: { csrf, name: "", uid: "kept-uid" },
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("<code>name</code>");
    expect(html).toContain('value="kept-uid"');
    const after = await call("GET", "/v1/apps?limit=100");
    expect((after.body as { data: unknown[] }).data.length).toBe(
      (before.body as { data: unknown[] }).data.length,
    );
  });
});
