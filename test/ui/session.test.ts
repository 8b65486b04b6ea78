import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getSession } from "../../src/db/sessions";
import { LOCAL_COOKIE, SECURE_COOKIE, SESSION_TTL_MS } from "../../src/ui/session";
import { ADMIN, call } from "../helpers";
import { csrfOf, HTTPS, LOCAL, page, signIn } from "./support";

afterEach(() => {
  vi.useRealTimers();
});

describe("dashboard sign-in", () => {
  it("serves a labelled form under a policy that forbids inline scripts", async () => {
    const res = await page("GET", "/dashboard/sign-in");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.startsWith('<!DOCTYPE html><html lang="en">')).toBe(true);
    expect(html).toContain('<label for="token">Admin token</label>');
    expect(html).toContain('id="token"');
    expect(html).not.toContain("<script");
    const csp = res.headers.get("content-security-policy") ?? "";
    // Scripts only from the Worker's own files (the copy buttons' one), never inline.
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|\*|https?:)/);
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("serves its stylesheet as a static file", async () => {
    const html = await (await page("GET", "/dashboard/sign-in")).text();
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1] ?? "";
    const res = await page("GET", href);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/css");
    expect(await res.text()).toContain("prefers-color-scheme: dark");
  });

  it("sets a __Host- cookie that is Secure, HttpOnly and SameSite=Strict over https", async () => {
    const { setCookie, cookie, hash } = await signIn();
    expect(cookie.startsWith(`${SECURE_COOKIE}=`)).toBe(true);
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain("Secure");
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).not.toContain("Domain=");
    const row = await getSession(env.DB, hash);
    expect(row?.expires_at).toBe((row?.created_at ?? 0) + SESSION_TTL_MS);
    expect(row?.revoked_at).toBeNull();
    expect(row?.csrf.length).toBeGreaterThanOrEqual(32);
  });

  it("stores only the hash of the session id", async () => {
    const { id } = await signIn();
    expect(await getSession(env.DB, id)).toBeNull();
  });

  it("drops Secure and the prefix only on plain-http loopback (local dev)", async () => {
    const { setCookie, cookie } = await signIn(LOCAL);
    expect(cookie.startsWith(`${LOCAL_COOKIE}=`)).toBe(true);
    expect(setCookie).not.toContain("Secure");
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect((await page("GET", "/dashboard/apps", { base: LOCAL, cookie })).status).toBe(200);
    // Plain http anywhere else still gets the secure cookie, which a browser will not keep.
    const remote = await signIn("http://hooklane.example");
    expect(remote.cookie.startsWith(`${SECURE_COOKIE}=`)).toBe(true);
    expect(remote.setCookie).toContain("Secure");
  });

  it("answers a wrong token with the form, an error and 401, and opens nothing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM dashboard_sessions").first<{
      n: number;
    }>();
    const res = await page("POST", "/dashboard/sign-in", { form: { token: "not-the-token" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('<label for="token">');
    const after = await env.DB.prepare("SELECT count(*) AS n FROM dashboard_sessions").first<{
      n: number;
    }>();
    expect(after?.n).toBe(before?.n);
    expect((await page("POST", "/dashboard/sign-in", { form: {} })).status).toBe(401);
  });

  it("refuses a sign-in posted from another origin", async () => {
    const res = await page("POST", "/dashboard/sign-in", {
      form: { token: ADMIN },
      origin: "https://evil.example",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});

describe("dashboard sessions", () => {
  it("sends a request without a session to sign-in", async () => {
    for (const path of ["/dashboard", "/dashboard/apps", "/dashboard/apps/app_x"]) {
      const res = await page("GET", path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/dashboard/sign-in");
    }
    const forged = await page("GET", "/dashboard/apps", { cookie: `${SECURE_COOKIE}=forged` });
    expect(forged.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("lists the apps, each id linking to its page", async () => {
    const created = await call<{ id: string }>("POST", "/v1/apps", {
      body: { name: "Listed & Co" },
    });
    const { cookie } = await signIn();
    const res = await page("GET", "/dashboard/apps", { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Listed &amp; Co");
    expect(html).toContain(`href="/dashboard/apps/${created.body.id}"`);
    const one = await page("GET", `/dashboard/apps/${created.body.id}`, { cookie });
    expect(one.status).toBe(200);
    expect(await one.text()).toContain("<h1>Listed &amp; Co</h1>");
    expect((await page("GET", "/dashboard/apps/app_missing", { cookie })).status).toBe(404);
  });

  it("expires after its time, whatever the cookie says", async () => {
    const { cookie } = await signIn();
    expect((await page("GET", "/dashboard/apps", { cookie })).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + SESSION_TTL_MS + 1000);
    const res = await page("GET", "/dashboard/apps", { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("refuses a sign-out without the right CSRF token and keeps the session", async () => {
    const { cookie, hash } = await signIn();
    const csrf = await csrfOf(cookie);
    const forms: Record<string, string>[] = [{}, { csrf: "wrong" }, { csrf: `${csrf}x` }];
    for (const form of forms) {
      const res = await page("POST", "/dashboard/sign-out", { cookie, form });
      expect(res.status).toBe(403);
    }
    const crossSite = await page("POST", "/dashboard/sign-out", {
      cookie,
      form: { csrf },
      origin: "https://evil.example",
    });
    expect(crossSite.status).toBe(403);
    expect((await getSession(env.DB, hash))?.revoked_at).toBeNull();
    expect((await page("GET", "/dashboard/apps", { cookie })).status).toBe(200);
  });

  it("revokes the session on sign-out: its cookie no longer opens anything", async () => {
    const { cookie, hash } = await signIn();
    const csrf = await csrfOf(cookie);
    const res = await page("POST", "/dashboard/sign-out", {
      cookie,
      form: { csrf },
      origin: HTTPS,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/sign-in");
    expect(res.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await getSession(env.DB, hash))?.revoked_at).toEqual(expect.any(Number));
    const after = await page("GET", "/dashboard/apps", { cookie });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/dashboard/sign-in");
    // A second sign-out with the revoked cookie changes nothing either.
    const again = await page("POST", "/dashboard/sign-out", { cookie, form: { csrf } });
    expect(again.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("drops expired sessions when the next one opens", async () => {
    const old = await signIn();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + SESSION_TTL_MS + 1000);
    await signIn();
    expect(await getSession(env.DB, old.hash)).toBeNull();
  });
});

describe("dashboard sign-in rate limit", () => {
  it("answers 429 after 10 attempts a minute from one address, right token or not", async () => {
    const ip = "203.0.113.7";
    for (let i = 0; i < 10; i++) {
      const res = await page("POST", "/dashboard/sign-in", { ip, form: { token: "wrong" } });
      expect(res.status).toBe(401);
    }
    const limited = await page("POST", "/dashboard/sign-in", { ip, form: { token: ADMIN } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(limited.headers.get("set-cookie")).toBeNull();
    expect(await limited.text()).toContain("Too many sign-in attempts");
    // Another address is not held back by the first one's attempts.
    const other = await page("POST", "/dashboard/sign-in", {
      ip: "203.0.113.8",
      form: { token: ADMIN },
    });
    expect(other.status).toBe(303);
  });
});
