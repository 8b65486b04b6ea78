import { Hono } from "hono";
import type { Problem } from "../api-client";
import { doc } from "../render";
import { examplePayload } from "./example";
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
import type { EndpointView } from "./pages/endpoints";
import { type CatalogEntry, EventTypesPage } from "./pages/event-types";
import { can, type PortalEnv } from "./session";

/** The event type catalog, and sending a type's example to an endpoint. */
export const catalogArea = new Hono<PortalEnv>();

interface EventTypeView {
  name: string;
  description?: string;
  schema?: Record<string, unknown>;
}

async function catalogPage(c: Ctx, problem?: Problem) {
  const canSend = can(c, "manage-endpoints");
  const [types, endpoints] = await Promise.all([
    c.var.client.get<Page<EventTypeView>>(app(c, "event-types"), {
      limit: PAGE_SIZE,
      cursor: cursorOf(c),
    }),
    canSend
      ? c.var.client.get<Page<EndpointView>>(app(c, "endpoints"), { limit: 100 })
      : Promise.resolve(null),
  ]);
  if (!types.ok) return problemPage(c, "event-types", types.problem);
  if (endpoints && !endpoints.ok) return problemPage(c, "event-types", endpoints.problem);
  const entries: CatalogEntry[] = types.data.data.map((t) => ({
    ...t,
    example: JSON.stringify(examplePayload(t.schema), null, 2),
  }));
  return c.html(
    doc(
      <EventTypesPage
        session={c.var.portal}
        types={entries}
        nextCursor={types.data.nextCursor}
        endpoints={endpoints?.data.data ?? []}
        canSend={canSend}
        problem={problem}
      />,
    ),
    problem ? refusedStatus(problem) : 200,
  );
}

catalogArea.get("/portal/event-types", need("view", "event-types"), (c) => catalogPage(c));

catalogArea.post("/portal/event-types/send", need("manage-endpoints", "event-types"), async (c) => {
  const { eventType = "", endpointId = "" } = c.var.form;
  const type = await c.var.client.get<EventTypeView>(app(c, "event-types", eventType));
  if (!type.ok) return problemPage(c, "event-types", type.problem);
  const payload = examplePayload(type.data.schema);
  if (payload === null || typeof payload !== "object" || Array.isArray(payload))
    return catalogPage(c, {
      status: 422,
      title: "No example to send",
      detail: `The example of ${eventType} is not a JSON object.`,
    });
  const res = await c.var.client.post<{ id: string }>(app(c, "endpoints", endpointId, "test"), {
    eventType,
    payload,
  });
  if (!res.ok) {
    if (res.status === 404) return problemPage(c, "event-types", res.problem);
    return catalogPage(c, res.problem);
  }
  return c.redirect(`/portal/messages/${encodeURIComponent(res.data.id)}`, 303);
});
