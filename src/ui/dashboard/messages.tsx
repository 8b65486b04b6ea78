/**
 * An app's message log: a search form (event type, delivery status, endpoint, time range) with
 * cursor pages, and one message's page (the shared message view). Everything goes through the
 * API in-process; the payload's exact text is read from the API's own answer.
 */

import { type Context, Hono } from "hono";
import { actAs } from "../../api/auth";
import { rawMember } from "../../lib/raw-json";
import { DELIVERY_STATUSES } from "../../schemas/messages";
import { appPath, type Problem } from "../api-client";
import type { AppView } from "../apps";
import { ProblemNote } from "../apps";
import { MessageTable } from "../components/message-table";
import {
  MessageView,
  type ViewAttempt,
  type ViewMessage,
  type ViewRequest,
} from "../components/message-view";
import { Layout } from "../layout";
import { doc, problemPage } from "../render";
import type { UiEnv } from "../session";
import { ENHANCE_PATH } from "./enhance";
import { appOf, href, isoFromInput, Pager, pageState } from "./paging";

/** Messages per page of the search. */
const PAGE_SIZE = 25;
/** Attempts per page of a message. */
const ATTEMPTS_PAGE = 10;

type Page<T> = { data: T[]; nextCursor: string | null };
type SearchPage = Page<ViewMessage> & { scanned?: { rows: number; through: string } };

/** The search form's values, as typed (times as `datetime-local`, read as UTC). */
interface Filters {
  eventType?: string;
  status?: string;
  endpointId?: string;
  from?: string;
  to?: string;
}

export const messagesArea = new Hono<UiEnv>();

const base = (appId: string) => `/dashboard/apps/${encodeURIComponent(appId)}`;

function filtersOf(c: Context<UiEnv>): Filters {
  const q = (k: string) => c.req.query(k)?.trim() || undefined;
  return {
    eventType: q("eventType"),
    status: q("status"),
    endpointId: q("endpointId"),
    from: q("from"),
    to: q("to"),
  };
}

messagesArea.get("/dashboard/apps/:appId/messages", async (c) => {
  const appId = c.req.param("appId");
  const filters = filtersOf(c);
  const state = pageState(c);
  const [app, list] = await Promise.all([
    appOf(c),
    c.var.client.get<SearchPage>(appPath(appId, "messages"), {
      limit: PAGE_SIZE,
      cursor: state.cursor,
      eventType: filters.eventType,
      status: filters.status,
      endpointId: filters.endpointId,
      after: isoFromInput(filters.from),
      before: isoFromInput(filters.to),
    }),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  return c.html(
    doc(
      <MessagesPage
        csrf={c.var.session.csrf}
        app={app.data}
        filters={filters}
        page={list.ok ? list.data : null}
        problem={list.ok ? undefined : list.problem}
        state={state}
      />,
    ),
  );
});

/**
 * The API's answer as text: the message's payload is spliced in byte for byte there, and the
 * client's JSON.parse would round its big numbers.
 */
async function apiText(c: Context<UiEnv>, path: string): Promise<string | null> {
  const request = actAs(
    new Request(new URL(path, c.req.url), { headers: { accept: "application/json" } }),
    c.var.client.actor,
  );
  const res = await c.var.api.fetch(request, c.env, c.executionCtx);
  return res.ok ? res.text() : null;
}

messagesArea.get("/dashboard/apps/:appId/messages/:messageId", async (c) => {
  const appId = c.req.param("appId");
  const messageId = c.req.param("messageId");
  const attemptsCursor = c.req.query("attempts");
  const [app, message, text, attempts] = await Promise.all([
    appOf(c),
    c.var.client.get<ViewMessage>(appPath(appId, "messages", messageId)),
    apiText(c, appPath(appId, "messages", messageId)),
    c.var.client.get<Page<ViewAttempt>>(appPath(appId, "messages", messageId, "attempts"), {
      limit: ATTEMPTS_PAGE,
      cursor: attemptsCursor,
    }),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  if (!message.ok) return problemPage(c, message.problem);
  const shown = attempts.ok ? attempts.data.data : [];
  const requests = await Promise.all(
    shown.map((a) =>
      c.var.client.get<ViewRequest>(
        appPath(appId, "messages", messageId, "attempts", a.id, "request"),
      ),
    ),
  );
  const withRequests = shown.map((a, i) => {
    const r = requests[i];
    return r?.ok ? { ...a, request: r.data } : a;
  });
  const payload = (text && rawMember(text, "payload")) ?? "";
  return c.html(
    doc(
      <Layout
        title={`Message ${messageId}`}
        csrf={c.var.session.csrf}
        app={{ id: app.data.id, name: app.data.name, section: "messages" }}
      >
        {c.req.query("notice") === "replayed" && (
          <p role="status" class="notice">
            Replay started: the delivery goes out again with the same webhook-id.
          </p>
        )}
        <p>
          <a href={`${base(appId)}/messages`}>Back to messages</a>
        </p>
        <MessageView
          message={message.data}
          payload={payload}
          attempts={withRequests}
          canReplay={true}
          csrf={c.var.session.csrf}
          baseUrl={base(appId)}
          linkEndpoints={true}
          olderAttempts={attempts.ok ? (attempts.data.nextCursor ?? undefined) : undefined}
          enhanceScript={ENHANCE_PATH}
        />
      </Layout>,
    ),
  );
});

/** The search form and one page of results. */
export function MessagesPage(props: {
  csrf: string;
  app: AppView;
  filters: Filters;
  page: SearchPage | null;
  problem?: Problem;
  state: { cursor?: string; back: string[] };
}) {
  const { app, filters, page } = props;
  const path = `${base(app.id)}/messages`;
  const filterParams = { ...filters };
  return (
    <Layout
      title={`Messages · ${app.name}`}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "messages" }}
    >
      <h1>Messages</h1>
      <form method="get" action={path} class="filters" aria-label="Search messages">
        <div>
          <label for="f-event">Event type</label>
          <input id="f-event" name="eventType" value={filters.eventType ?? ""} />
        </div>
        <div>
          <label for="f-status">Delivery status</label>
          <select id="f-status" name="status">
            <option value="">Any</option>
            {DELIVERY_STATUSES.map((s) => (
              <option value={s} selected={filters.status === s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-endpoint">Endpoint id</label>
          <input
            id="f-endpoint"
            name="endpointId"
            value={filters.endpointId ?? ""}
            placeholder="ep_..."
          />
        </div>
        <div>
          <label for="f-from">From (UTC)</label>
          <input id="f-from" name="from" type="datetime-local" value={filters.from ?? ""} />
        </div>
        <div>
          <label for="f-to">To (UTC)</label>
          <input id="f-to" name="to" type="datetime-local" value={filters.to ?? ""} />
        </div>
        <button type="submit">Search</button>
        <a href={path}>Clear</a>
      </form>
      {props.problem && <ProblemNote problem={props.problem} />}
      {page && <Results {...props} page={page} path={path} filters={filterParams} />}
    </Layout>
  );
}

function Results(props: {
  app: AppView;
  page: SearchPage;
  path: string;
  filters: Filters;
  state: { cursor?: string; back: string[] };
}) {
  const { page } = props;
  return (
    <>
      {page.data.length === 0 ? (
        <p>{page.scanned ? "No match in this stretch of the log." : "No message matches."}</p>
      ) : (
        <MessageTable
          messages={page.data}
          caption="Messages, newest first"
          hrefOf={(id) => `${base(props.app.id)}/messages/${encodeURIComponent(id)}`}
        />
      )}
      {page.scanned && (
        <p role="status" class="note">
          Scanned {page.scanned.rows.toLocaleString("en-US")} messages, back to{" "}
          <time datetime={page.scanned.through}>{page.scanned.through}</time>, without filling this
          page: these filters have no index, so each page reads a bounded stretch. Continue to
          search older messages.
        </p>
      )}
      <Pager
        path={props.path}
        filters={{ ...props.filters }}
        state={props.state}
        next={page.nextCursor}
        olderLabel={page.scanned ? "Continue searching older messages" : "Older"}
      />
    </>
  );
}

/** A message page's URL (for links from the other sections). */
export function messageHref(appId: string, messageId: string): string {
  return href(`${base(appId)}/messages/${encodeURIComponent(messageId)}`, {});
}
