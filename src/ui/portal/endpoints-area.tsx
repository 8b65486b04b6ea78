import { Hono } from "hono";
import type { Problem } from "../api-client";
import {
  type OptionsState,
  optionsFromForm,
  previewTransform,
  saveOptions,
  stateProblem,
  storedOptions,
  testFilter,
} from "../endpoint-options";
import { doc } from "../render";
import {
  app,
  type Ctx,
  cursorOf,
  need,
  PAGE_SIZE,
  type Page,
  problemPage,
  refusedStatus,
} from "./guards";
import {
  type EndpointFormValues,
  EndpointPage,
  EndpointsPage,
  type EndpointView,
  parseEventTypes,
} from "./pages/endpoints";
import { can, type PortalEnv } from "./session";

/** Endpoints: list, create, edit, delete; the signing secret; recover. */
export const endpointsArea = new Hono<PortalEnv>();

async function listPage(c: Ctx, problem?: Problem, values?: EndpointFormValues) {
  const res = await c.var.client.get<Page<EndpointView>>(app(c, "endpoints"), {
    limit: PAGE_SIZE,
    cursor: cursorOf(c),
  });
  if (!res.ok) return problemPage(c, "endpoints", res.problem);
  return c.html(
    doc(
      <EndpointsPage
        session={c.var.portal}
        endpoints={res.data.data}
        nextCursor={res.data.nextCursor}
        canManage={can(c, "manage-endpoints")}
        problem={problem}
        values={values}
      />,
    ),
    problem ? refusedStatus(problem) : 200,
  );
}

function formValues(form: Record<string, string>): EndpointFormValues {
  return {
    url: (form.url ?? "").trim(),
    description: (form.description ?? "").trim(),
    eventTypes: form.eventTypes ?? "",
    disabled: form.disabled === "on",
  };
}

endpointsArea.get("/portal/endpoints", need("view", "endpoints"), (c) => listPage(c));

endpointsArea.post("/portal/endpoints", need("manage-endpoints", "endpoints"), async (c) => {
  const values = formValues(c.var.form);
  const res = await c.var.client.post<EndpointView>(app(c, "endpoints"), {
    url: values.url,
    ...(values.description ? { description: values.description } : {}),
    eventTypes: parseEventTypes(values.eventTypes),
  });
  if (!res.ok) return listPage(c, res.problem, values);
  return c.redirect(`/portal/endpoints/${encodeURIComponent(res.data.id)}`, 303);
});

async function endpointPage(
  c: Ctx,
  extra: Omit<Parameters<typeof EndpointPage>[0], "session" | "endpoint" | "options"> = {},
  status: 200 | 409 | 422 | 429 | 502 = 200,
) {
  const res = await c.var.client.get<EndpointView>(app(c, "endpoints", c.req.param("id") ?? ""));
  if (!res.ok) return problemPage(c, "endpoints", res.problem);
  return c.html(
    doc(
      <EndpointPage
        session={c.var.portal}
        endpoint={res.data}
        options={storedOptions(res.data, res.text)}
        {...extra}
      />,
    ),
    status,
  );
}

/** The endpoint's page with a refused options form or a try's result, at the refusal's status. */
function optionsPage(c: Ctx, optionsState: OptionsState) {
  const problem = stateProblem(optionsState);
  return endpointPage(c, { optionsState }, problem ? refusedStatus(problem) : 200);
}

endpointsArea.get("/portal/endpoints/:id", need("view", "endpoints"), (c) => endpointPage(c));

endpointsArea.post("/portal/endpoints/:id", need("manage-endpoints", "endpoints"), async (c) => {
  const values = formValues(c.var.form);
  const res = await c.var.client.patch<EndpointView>(app(c, "endpoints", c.req.param("id")), {
    url: values.url,
    description: values.description || null,
    eventTypes: parseEventTypes(values.eventTypes),
    disabled: values.disabled === true,
  });
  if (!res.ok) {
    if (res.status === 404) return problemPage(c, "endpoints", res.problem);
    return endpointPage(c, { problem: res.problem, values }, refusedStatus(res.problem));
  }
  return c.redirect(`/portal/endpoints/${encodeURIComponent(res.data.id)}`, 303);
});

endpointsArea.post(
  "/portal/endpoints/:id/delete",
  need("manage-endpoints", "endpoints"),
  async (c) => {
    const res = await c.var.client.delete(app(c, "endpoints", c.req.param("id")));
    if (!res.ok) return problemPage(c, "endpoints", res.problem);
    return c.redirect("/portal/endpoints", 303);
  },
);

endpointsArea.post(
  "/portal/endpoints/:id/options",
  need("manage-endpoints", "endpoints"),
  async (c) => {
    const values = optionsFromForm(c.var.form);
    const problem = await saveOptions(c.var.client, app(c, "endpoints", c.req.param("id")), values);
    if (problem?.status === 404) return problemPage(c, "endpoints", problem);
    if (problem) return optionsPage(c, { refused: { values, problem } });
    return c.redirect(`/portal/endpoints/${encodeURIComponent(c.req.param("id"))}`, 303);
  },
);

endpointsArea.post(
  "/portal/endpoints/:id/filter-test",
  need("manage-endpoints", "endpoints"),
  async (c) =>
    optionsPage(c, {
      filterTest: await testFilter(
        c.var.client,
        app(c, "endpoints", c.req.param("id")),
        c.var.form.payload ?? "",
      ),
    }),
);

endpointsArea.post(
  "/portal/endpoints/:id/transform-preview",
  need("manage-endpoints", "endpoints"),
  async (c) =>
    optionsPage(c, {
      preview: await previewTransform(
        c.var.client,
        app(c, "endpoints", c.req.param("id")),
        c.var.form.payload ?? "",
        c.var.form.eventType ?? "",
      ),
    }),
);

/** Reveal or rotate the secret of the endpoint's auth profile; shown on this answer only. */
async function secretAction(c: Ctx, action: "reveal" | "rotate") {
  const endpoint = await c.var.client.get<EndpointView>(
    app(c, "endpoints", c.req.param("id") ?? ""),
  );
  if (!endpoint.ok) return problemPage(c, "endpoints", endpoint.problem);
  const res = await c.var.client.post<{ secret?: string }>(
    app(c, "auth-profiles", endpoint.data.authProfileId, action),
    action === "rotate" ? {} : undefined,
  );
  if (!res.ok) return problemPage(c, "endpoints", res.problem);
  return c.html(
    doc(
      <EndpointPage
        session={c.var.portal}
        endpoint={endpoint.data}
        options={storedOptions(endpoint.data, endpoint.text)}
        secret={{ value: res.data.secret ?? "", rotated: action === "rotate" }}
      />,
    ),
    200,
  );
}
endpointsArea.post("/portal/endpoints/:id/reveal", need("view-secrets", "endpoints"), (c) =>
  secretAction(c, "reveal"),
);
endpointsArea.post("/portal/endpoints/:id/rotate", need("rotate-secrets", "endpoints"), (c) =>
  secretAction(c, "rotate"),
);

endpointsArea.post("/portal/endpoints/:id/recover", need("replay", "endpoints"), async (c) => {
  // A datetime-local field: "YYYY-MM-DDTHH:MM", read as UTC (the page says so).
  const since = c.var.form.since ?? "";
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(since)
    ? new Date(`${since}${since.length === 16 ? ":00" : ""}Z`)
    : null;
  if (!at || Number.isNaN(at.getTime()))
    return endpointPage(
      c,
      { problem: { status: 422, title: "Invalid time", detail: "Give a date and time." } },
      422,
    );
  const res = await c.var.client.post<{ restarted: number; more: boolean }>(
    app(c, "endpoints", c.req.param("id"), "recover"),
    { since: at.toISOString() },
  );
  if (!res.ok) {
    if (res.status === 404) return problemPage(c, "endpoints", res.problem);
    return endpointPage(c, { problem: res.problem }, refusedStatus(res.problem));
  }
  const { restarted, more } = res.data;
  return endpointPage(c, {
    notice: `${restarted} ${restarted === 1 ? "delivery" : "deliveries"} sent again${more ? "; more remain, recover again" : ""}.`,
  });
});
