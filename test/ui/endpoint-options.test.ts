import { describe, expect, it } from "vitest";
import { type OptionsValues, optionsBody, storedOptions } from "../../src/ui/endpoint-options";
import { call, newApp, newEndpoint } from "../helpers";
import { csrfOf, HTTPS, page, portalCsrf, signedIn, signIn } from "./support";

type Options = {
  format: string;
  filter?: unknown;
  transform?: string;
  batch?: { maxEvents: number; maxWaitMs: number };
};

/** An endpoint's page at `base`: post its forms, show it, read the endpoint through the API. */
function formsOf(appId: string, id: string, cookie: string, csrf: string, base: string) {
  return {
    appId,
    cookie,
    base,
    post: (action: string, form: Record<string, string>) =>
      page("POST", `${base}/${action}`, { cookie, origin: HTTPS, form: { csrf, ...form } }),
    show: async () => (await page("GET", base, { cookie })).text(),
    read: async () => (await call<Options>("GET", `/v1/apps/${appId}/endpoints/${id}`)).body,
  };
}

type Forms = ReturnType<typeof formsOf>;

/** An endpoint and a signed-in operator, with its dashboard page's forms. */
async function setUp(body: Record<string, unknown> = {}): Promise<Forms> {
  const { appId } = await newApp();
  const ep = await newEndpoint(appId, body);
  const { cookie } = await signIn();
  const base = `/dashboard/apps/${appId}/endpoints/${ep.id}`;
  return formsOf(appId, ep.id, cookie, await csrfOf(cookie), base);
}

/** An endpoint and a portal session that may view and manage endpoints, with its page's forms. */
async function portalSetUp(body: Record<string, unknown> = {}): Promise<Forms> {
  const { appId } = await newApp("portal options");
  const ep = await newEndpoint(appId, body);
  const { cookie } = await signedIn(appId, { capabilities: ["view", "manage-endpoints"] });
  const base = `/portal/endpoints/${ep.id}`;
  return formsOf(appId, ep.id, cookie, await portalCsrf(cookie, base), base);
}

/** The options form with every field empty and the default format. */
const noOptions: OptionsValues = {
  format: "standard-webhooks",
  filter: "",
  transform: "",
  batchMaxEvents: "",
  batchMaxWaitMs: "",
};

/** The options form's fields: the given ones, the others empty. */
const optionsForm = (form: Partial<OptionsValues>) => ({ ...noOptions, ...form });

/**
 * Batching through a page's options form: saved as typed and shown; refused by the API (its
 * field error shown, the typed values kept, nothing changed); cleared with both fields empty.
 */
async function batchThroughForm(forms: Forms) {
  const save = (batchMaxEvents: string, batchMaxWaitMs: string, more = {}) =>
    forms.post(
      "options",
      optionsForm({ format: "cloudevents", batchMaxEvents, batchMaxWaitMs, ...more }),
    );
  expect((await save("25", " 1500 ")).status).toBe(303);
  expect(await forms.read()).toMatchObject({
    format: "cloudevents",
    batch: { maxEvents: 25, maxWaitMs: 1500 },
  });
  const shown = await forms.show();
  expect(shown).toContain("<dt>Batching</dt><dd>up to 25 events, waits at most 1500 ms</dd>");
  expect(shown).toMatch(/id="opt-batch-max-events"[^>]*value="25"/);
  expect(shown).toMatch(/id="opt-batch-max-wait"[^>]*value="1500"/);

  for (const [events, wait, field] of [
    ["1", "1500", "maxEvents"],
    ["2.5", "1500", "maxEvents"],
    ["ten", "1500", "maxEvents"],
    ["10", "60001", "maxWaitMs"],
    ["10", "", "maxWaitMs"],
  ] as const) {
    const res = await save(events, wait);
    expect(res.status, `${events}/${wait}`).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toMatch(new RegExp(`<code>/?batch[./]${field}</code>`));
    expect(html).toMatch(new RegExp(`id="opt-batch-max-events"[^>]*value="${events}"`));
    expect(html).toMatch(new RegExp(`id="opt-batch-max-wait"[^>]*value="${wait}"`));
  }

  // No batching with CloudEvents binary or with a transform: the API's reason, readable.
  const binary = await save("10", "500", { format: "cloudevents-binary" });
  expect(binary.status).toBe(422);
  const binaryHtml = await binary.text();
  expect(binaryHtml).toContain("<code>batch</code> cloudevents-binary has no batch mode");
  expect(binaryHtml).toContain('<option value="cloudevents-binary" selected="">');
  const transformed = await save("10", "500", { transform: "{ 'cents': amount }" });
  expect(transformed.status).toBe(422);
  expect(await transformed.text()).toContain(
    "<code>batch</code> An endpoint cannot both batch and transform.",
  );
  const kept = await forms.read();
  expect(kept).toMatchObject({ format: "cloudevents", batch: { maxEvents: 25, maxWaitMs: 1500 } });
  expect(kept.transform).toBeUndefined();

  expect((await save("", " ")).status).toBe(303);
  expect((await forms.read()).batch).toBeUndefined();
  expect(await forms.show()).toContain("<dt>Batching</dt><dd>off</dd>");
}

describe("dashboard: endpoint options", () => {
  it("shows the stored format, filter and transform, and the options form", async () => {
    const html = await (
      await setUp({
        format: "cloudevents",
        filter: { amount: { $gte: 100 } },
        transform: "{ 'event': type }",
      })
    ).show();
    expect(html).toContain("<dt>Format</dt>");
    expect(html).toContain("<code>cloudevents</code>");
    // The filter as stored, indented.
    expect(html).toContain(
      '<pre class="opts-pre">{\n  &quot;amount&quot;: {\n    &quot;$gte&quot;: 100\n  }\n}</pre>',
    );
    expect(html).toContain('<pre class="opts-pre">{ &#39;event&#39;: type }</pre>');
    expect(html).toContain("<dt>Batching</dt><dd>off</dd>");
    expect(html).toContain('<option value="cloudevents" selected="">');
    for (const id of [
      "opt-format",
      "opt-filter",
      "opt-transform",
      "opt-batch-max-events",
      "opt-batch-max-wait",
      "ft-payload",
      "tp-payload",
    ])
      expect(html).toContain(`<label for="${id}">`);
    expect(html).toContain('aria-describedby="opt-batch-hint"');
    for (const button of ["Save options", "Test filter", "Preview transform"])
      expect(html).toContain(`>${button}</button>`);
  });

  it("saves each option through the form and reads it back through the API", async () => {
    const { post, read, cookie } = await setUp();
    const saved = await post(
      "options",
      optionsForm({
        format: "cloudevents-binary",
        filter: '{"customer.tier": {"$in": ["gold"]}}',
        transform: "{ 'cents': amount }",
      }),
    );
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
    expect((await post("options", optionsForm({ filter: "  " }))).status).toBe(303);
    const after = await read();
    expect(after.format).toBe("standard-webhooks");
    expect(after.filter).toBeUndefined();
    expect(after.transform).toBeUndefined();
  });

  it("sets, refuses and clears batching through the form", async () => {
    await batchThroughForm(await setUp());
  });

  it("shows the API's 422 next to the form in an alert, keeping what was typed", async () => {
    const { post, read } = await setUp();
    const res = await post("options", optionsForm({ filter: '{"amount": {"$near": 3}}' }));
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("/filter/amount/$near");
    expect(html).toContain("{&quot;amount&quot;: {&quot;$near&quot;: 3}}</textarea>");
    // A transform with a syntax error, and a filter that is not JSON at all, the same way.
    const bad = await post("options", optionsForm({ transform: "{" }));
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
    const filter = '{"n": {"$gt": 12345678901234567890123}}';
    expect((await post("options", optionsForm({ filter }))).status).toBe(303);
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
    const { cookie } = await signIn();
    const csrf = await csrfOf(cookie);
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
    const { base, cookie, read } = await setUp();
    const res = await page("POST", `${base}/options`, {
      cookie,
      form: optionsForm({ format: "cloudevents", batchMaxEvents: "5", batchMaxWaitMs: "500" }),
    });
    expect(res.status).toBe(403);
    const after = await read();
    expect(after.format).toBe("standard-webhooks");
    expect(after.batch).toBeUndefined();
  });
});

describe("portal: endpoint options", () => {
  it("edits the format, filter and transform, and runs the filter test and the preview", async () => {
    const { post, read, show, base } = await portalSetUp();
    const shown = await show();
    for (const id of ["opt-format", "opt-filter", "opt-transform", "ft-payload", "tp-payload"])
      expect(shown).toContain(`<label for="${id}">`);
    const transform = '{ "body": { "cents": data.amount }, "headers": { "x-kind": type } }';
    const saved = await post(
      "options",
      optionsForm({ format: "cloudevents", filter: '{"amount": {"$gte": 100}}', transform }),
    );
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(base);
    expect(await read()).toMatchObject({
      format: "cloudevents",
      filter: { amount: { $gte: 100 } },
      transform,
    });
    const page2 = await show();
    expect(page2).toContain("<code>cloudevents</code>");
    expect(page2).toContain("&quot;$gte&quot;: 100");

    const refused = await post("options", optionsForm({ filter: '{"$where": "x"}' }));
    expect(refused.status).toBe(422);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain('role="alert"');
    expect(refusedHtml).toContain("{&quot;$where&quot;: &quot;x&quot;}</textarea>");

    expect(await (await post("filter-test", { payload: '{"amount": 150}' })).text()).toContain(
      "Matches: this payload would be delivered.",
    );
    expect(await (await post("filter-test", { payload: '{"amount": 5}' })).text()).toContain(
      "Does not match",
    );
    const preview = await post("transform-preview", {
      payload: '{"amount": 150}',
      eventType: "invoice.paid",
    });
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    expect(previewHtml).toContain('<pre class="opts-pre">x-kind: invoice.paid</pre>');
    expect(previewHtml).toContain('<pre class="opts-pre">{&quot;cents&quot;:150}</pre>');

    // Cleared through the form: PATCH null.
    expect((await post("options", optionsForm({}))).status).toBe(303);
    const cleared = await read();
    expect(cleared.filter).toBeUndefined();
    expect(cleared.transform).toBeUndefined();
  });

  it("sets, refuses and clears batching through the form", async () => {
    await batchThroughForm(await portalSetUp());
  });
});

describe("endpoint options helpers", () => {
  const typed = optionsForm({ format: "cloudevents" });
  const batchOf = (batchMaxEvents: string, batchMaxWaitMs: string) => {
    const body = optionsBody({ ...typed, batchMaxEvents, batchMaxWaitMs });
    return "text" in body ? body.text.slice(body.text.indexOf('"batch":') + 8, -1) : body;
  };

  it("sends typed JSON as typed, empty as null, and reads the stored filter unrounded", () => {
    expect(optionsBody({ ...typed, filter: ' {"n": 1e400} ' })).toEqual({
      text: '{"format":"cloudevents","filter":{"n": 1e400},"transform":null,"batch":null}',
    });
    expect(optionsBody({ ...typed, filter: "{" })).toMatchObject({
      problem: { status: 422, errors: [{ field: "/filter" }] },
    });
    const text =
      '{"id":"ep_1","filter":{"n":{"$gt":12345678901234567890123}},"format":"cloudevents"}';
    expect(storedOptions({ format: "cloudevents" }, text)).toEqual({
      ...typed,
      filter: '{\n  "n": {\n    "$gt": 12345678901234567890123\n  }\n}',
    });
    expect(
      storedOptions({ format: "cloudevents", batch: { maxEvents: 50, maxWaitMs: 1000 } }, "{}"),
    ).toEqual({ ...typed, batchMaxEvents: "50", batchMaxWaitMs: "1000" });
  });

  it("sends the batch's integers as numbers and anything else so the API names the field", () => {
    expect(batchOf("", " ")).toBe("null");
    expect(batchOf("+007", " 60000 ")).toBe('{"maxEvents":7,"maxWaitMs":60000}');
    expect(batchOf("123456789012345678901234567890", "1e3")).toBe(
      '{"maxEvents":123456789012345678901234567890,"maxWaitMs":1e3}',
    );
    expect(batchOf("2.5", "ten")).toBe('{"maxEvents":2.5,"maxWaitMs":"ten"}');
    expect(batchOf("10", "")).toBe('{"maxEvents":10}');
    expect(batchOf('"5"', "-1")).toBe('{"maxEvents":"\\"5\\"","maxWaitMs":-1}');
  });
});
