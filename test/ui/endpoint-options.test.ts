import { describe, expect, it } from "vitest";
import { optionsBody, storedOptions } from "../../src/ui/endpoint-options";
import { call, newApp, newEndpoint } from "../helpers";
import { csrfOf, page, signIn } from "./support";

const epHref = (appId: string, id: string) => `/dashboard/apps/${appId}/endpoints/${id}`;

type Options = { format: string; filter?: unknown; transform?: string };

async function session() {
  const { cookie } = await signIn();
  return { cookie, csrf: await csrfOf(cookie) };
}

/** An endpoint and a signed-in operator, with a way to post the endpoint page's forms. */
async function setUp(body: Record<string, unknown> = {}) {
  const { appId } = await newApp();
  const ep = await newEndpoint(appId, body);
  const { cookie, csrf } = await session();
  const post = (action: string, form: Record<string, string>) =>
    page("POST", `${epHref(appId, ep.id)}/${action}`, { cookie, form: { csrf, ...form } });
  const read = async () =>
    (await call<Options>("GET", `/v1/apps/${appId}/endpoints/${ep.id}`)).body;
  return { appId, ep, cookie, post, read };
}

describe("dashboard: endpoint options", () => {
  it("shows the stored format, filter and transform, and the options form", async () => {
    const { appId, ep, cookie } = await setUp({
      format: "cloudevents",
      filter: { amount: { $gte: 100 } },
      transform: "{ 'event': type }",
    });
    const html = await (await page("GET", epHref(appId, ep.id), { cookie })).text();
    expect(html).toContain("<dt>Format</dt>");
    expect(html).toContain("<code>cloudevents</code>");
    // The filter as stored, indented.
    expect(html).toContain(
      '<pre class="opts-pre">{\n  &quot;amount&quot;: {\n    &quot;$gte&quot;: 100\n  }\n}</pre>',
    );
    expect(html).toContain('<pre class="opts-pre">{ &#39;event&#39;: type }</pre>');
    expect(html).toContain('<option value="cloudevents" selected="">');
    for (const id of ["opt-format", "opt-filter", "opt-transform", "ft-payload", "tp-payload"])
      expect(html).toContain(`<label for="${id}">`);
    for (const button of ["Save options", "Test filter", "Preview transform"])
      expect(html).toContain(`>${button}</button>`);
  });

  it("saves each option through the form and reads it back through the API", async () => {
    const { post, read, cookie } = await setUp();
    const saved = await post("options", {
      format: "cloudevents-binary",
      filter: '{"customer.tier": {"$in": ["gold"]}}',
      transform: "{ 'cents': amount }",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toMatch(/\?notice=options$/);
    const after303 = await page("GET", saved.headers.get("location") ?? "", { cookie });
    expect(await after303.text()).toContain("Options saved.");
    expect(await read()).toMatchObject({
      format: "cloudevents-binary",
      filter: { "customer.tier": { $in: ["gold"] } },
      transform: "{ 'cents': amount }",
    });
    // Empty fields clear (PATCH null); the format goes back to the default.
    const cleared = await post("options", {
      format: "standard-webhooks",
      filter: "  ",
      transform: "",
    });
    expect(cleared.status).toBe(303);
    const after = await read();
    expect(after.format).toBe("standard-webhooks");
    expect(after.filter).toBeUndefined();
    expect(after.transform).toBeUndefined();
  });

  it("shows the API's 422 next to the form in an alert, keeping what was typed", async () => {
    const { post, read } = await setUp();
    const res = await post("options", {
      format: "standard-webhooks",
      filter: '{"amount": {"$near": 3}}',
      transform: "",
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("/filter/amount/$near");
    expect(html).toContain("{&quot;amount&quot;: {&quot;$near&quot;: 3}}</textarea>");
    // A transform with a syntax error, and a filter that is not JSON at all, the same way.
    const bad = await post("options", { format: "standard-webhooks", filter: "", transform: "{" });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("<code>transform</code>");
    expect(badHtml).toContain("{</textarea>");
    const notJson = await post("options", { format: "standard-webhooks", filter: "{amount" });
    expect(notJson.status).toBe(422);
    expect(await notJson.text()).toContain("not valid JSON");
    expect((await read()).filter).toBeUndefined();
  });

  it("tests the saved filter on a sample payload, big numbers compared exactly", async () => {
    const { post } = await setUp();
    expect(
      (
        await post("options", {
          format: "standard-webhooks",
          filter: '{"n": {"$gt": 12345678901234567890123}}',
          transform: "",
        })
      ).status,
    ).toBe(303);
    const yes = await post("filter-test", { payload: '{"n": 12345678901234567890124}' });
    expect(yes.status).toBe(200);
    const yesHtml = await yes.text();
    expect(yesHtml).toContain("Matches: this payload would be delivered.");
    // The stored filter shows unrounded.
    expect(yesHtml).toContain("12345678901234567890123");
    const no = await post("filter-test", { payload: '{"n": 12345678901234567890123}' });
    expect(await no.text()).toContain("Does not match: this payload would not be delivered.");
    const broken = await post("filter-test", { payload: "[1," });
    expect(broken.status).toBe(422);
    const brokenHtml = await broken.text();
    expect(brokenHtml).toContain('role="alert"');
    expect(brokenHtml).toContain("[1,</textarea>");
  });

  it("previews the saved transform's URL, headers and body, or its error", async () => {
    const { post } = await setUp({
      transform:
        '{ "body": { "event": type, "cents": data.amount }, "path": "/paid", "headers": { "x-event": type } }',
    });
    const res = await post("transform-preview", {
      payload: '{"amount": 4200}',
      eventType: "invoice.paid",
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<code>https://receiver.example.com/hook/paid</code>");
    expect(html).toContain('<pre class="opts-pre">x-event: invoice.paid</pre>');
    expect(html).toContain("&quot;cents&quot;:4200");
    const failing = await setUp({ transform: '$error("no thanks")' });
    const refused = await failing.post("transform-preview", { payload: "{}", eventType: "" });
    expect(refused.status).toBe(422);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain('role="alert"');
    expect(refusedHtml).toContain("no thanks");
  });

  it("creates an endpoint with the format chosen in the create form", async () => {
    const { appId } = await newApp();
    const { cookie, csrf } = await session();
    const list = await (await page("GET", `/dashboard/apps/${appId}/endpoints`, { cookie })).text();
    expect(list).toContain('<label for="ep-format">Format</label>');
    expect(list).toContain("can be set on the endpoint&#39;s page");
    const res = await page("POST", `/dashboard/apps/${appId}/endpoints`, {
      cookie,
      form: { csrf, url: "https://ce.example.com/in", eventTypes: "", format: "cloudevents" },
    });
    expect(res.status).toBe(303);
    const made = await call<{ data: Options[] }>("GET", `/v1/apps/${appId}/endpoints`);
    expect(made.body.data[0]?.format).toBe("cloudevents");
  });

  it("refuses the options form without the session's CSRF token", async () => {
    const { appId, ep, cookie, read } = await setUp();
    const res = await page("POST", `${epHref(appId, ep.id)}/options`, {
      cookie,
      form: { format: "cloudevents", filter: "", transform: "" },
    });
    expect(res.status).toBe(403);
    expect((await read()).format).toBe("standard-webhooks");
  });
});

describe("endpoint options helpers", () => {
  it("sends typed JSON as typed, empty as null, and reads the stored filter unrounded", () => {
    expect(optionsBody({ format: "cloudevents", filter: ' {"n": 1e400} ', transform: "" })).toEqual(
      { text: '{"format":"cloudevents","filter":{"n": 1e400},"transform":null}' },
    );
    expect(optionsBody({ format: "x", filter: "{", transform: "" })).toMatchObject({
      problem: { status: 422, errors: [{ field: "/filter" }] },
    });
    const text =
      '{"id":"ep_1","filter":{"n":{"$gt":12345678901234567890123}},"format":"cloudevents"}';
    expect(storedOptions({ format: "cloudevents" }, text)).toEqual({
      format: "cloudevents",
      filter: '{\n  "n": {\n    "$gt": 12345678901234567890123\n  }\n}',
      transform: "",
    });
  });
});
