import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { failurePage } from "../../src/ui/failure";
import { page, signIn } from "./support";

describe("UI failures are pages", () => {
  it("answers an unknown dashboard address with a 404 page once signed in", async () => {
    const { cookie } = await signIn();
    const res = await page("GET", "/dashboard/no-such-page", { cookie });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("There is no page at this address.");
    // Without a session the address is not even confirmed: sign in first.
    const anonymous = await page("GET", "/dashboard/no-such-page");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("turns a thrown error into a 500 page with a request id and logs the error, not shows it", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const app = new Hono();
    app.get("/boom", () => {
      throw new Error("secret detail");
    });
    app.onError(failurePage);
    const res = await app.request("/boom", { headers: { "cf-ray": "ray-123" } });
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain("Something went wrong");
    expect(html).toContain("ray-123");
    expect(html).not.toContain("secret detail");
    expect(log).toHaveBeenCalledWith(expect.stringContaining("secret detail"));
    log.mockRestore();
  });
});
