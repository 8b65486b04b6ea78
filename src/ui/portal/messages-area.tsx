import { Hono } from "hono";
import {
  MessageView,
  type ViewAttempt,
  type ViewMessage,
  type ViewRequest,
} from "../components/message-view";
import { doc } from "../render";
import { PORTAL_ENHANCE_PATH } from "./assets";
import { app, cursorOf, need, PAGE_SIZE, type Page, problemPage } from "./guards";
import { PortalLayout } from "./layout";
import { type MessageListItem, MessagesPage } from "./pages/messages";
import { getMessageWithPayload } from "./raw";
import { can, type PortalEnv } from "./session";

/** Attempts per message page: each costs one more API call to rebuild its request. */
const ATTEMPTS_PAGE = 20;

/** The message log, one message with its attempts, and replaying a dead delivery. */
export const messagesArea = new Hono<PortalEnv>();

messagesArea.get("/portal/messages", need("view", "messages"), async (c) => {
  const eventType = (c.req.query("eventType") ?? "").trim().slice(0, 128);
  const res = await c.var.client.get<Page<MessageListItem>>(app(c, "messages"), {
    limit: PAGE_SIZE,
    cursor: cursorOf(c),
    eventType,
  });
  if (!res.ok) return problemPage(c, "messages", res.problem);
  return c.html(
    doc(
      <MessagesPage
        session={c.var.portal}
        messages={res.data.data}
        nextCursor={res.data.nextCursor}
        eventType={eventType}
      />,
    ),
  );
});

messagesArea.get("/portal/messages/:id", need("view", "messages"), async (c) => {
  const id = c.req.param("id");
  const [message, attempts] = await Promise.all([
    getMessageWithPayload<ViewMessage & { payload?: unknown }>(c, app(c, "messages", id)),
    c.var.client.get<Page<ViewAttempt>>(app(c, "messages", id, "attempts"), {
      limit: ATTEMPTS_PAGE,
      cursor: c.req.query("attempts"),
    }),
  ]);
  if (!message.ok) return problemPage(c, "messages", message.problem);
  if (!attempts.ok) return problemPage(c, "messages", attempts.problem);
  // Each attempt's request as it went out (rebuilt by the API; bearer tokens redacted).
  const shown = await Promise.all(
    attempts.data.data.map(async (a) => {
      const r = await c.var.client.get<ViewRequest>(
        app(c, "messages", id, "attempts", a.id, "request"),
      );
      return r.ok ? { ...a, request: r.data } : a;
    }),
  );
  const { payload: _parsed, ...rest } = message.data;
  return c.html(
    doc(
      <PortalLayout title={`Message ${id}`} session={c.var.portal} section="messages">
        <nav aria-label="Breadcrumb" class="crumbs">
          <a href="/portal/messages">Messages</a>
        </nav>
        <MessageView
          message={rest}
          payload={message.payload}
          attempts={shown}
          canReplay={can(c, "replay")}
          csrf={c.var.portal.csrf}
          baseUrl="/portal"
          linkEndpoints={true}
          olderAttempts={attempts.data.nextCursor ?? undefined}
          enhanceScript={PORTAL_ENHANCE_PATH}
        />
      </PortalLayout>,
    ),
  );
});

// The message view's Replay form posts here (its `baseUrl` is /portal).
messagesArea.post(
  "/portal/dead-letters/:deliveryId/replay",
  need("replay", "messages"),
  async (c) => {
    const res = await c.var.client.post(
      app(c, "dead-letters", c.req.param("deliveryId"), "replay"),
    );
    if (!res.ok) return problemPage(c, "messages", res.problem);
    const back = c.var.form.back ?? "";
    return c.redirect(
      /^\/portal\/messages\/msg_[A-Za-z0-9]+$/.test(back) ? back : "/portal/messages",
      303,
    );
  },
);
