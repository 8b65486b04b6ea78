/**
 * An app's audit trail (who changed what) and its operator events (what Hooklane did on its
 * own, e.g. disabling an endpoint), each a cursor-paged list from the API.
 */
import { Hono } from "hono";
import { appPath, type Problem } from "../api-client";
import type { AppView } from "../apps";
import { ProblemNote } from "../apps";
import { Layout } from "../layout";
import { doc, problemPage } from "../render";
import type { UiEnv } from "../session";
import { appOf, Pager, pageState } from "./paging";

/** Entries per page of each list. */
const PAGE_SIZE = 25;

interface AuditView {
  id: string;
  actor: string;
  action: string;
  resourceType: string;
  resourceId?: string;
  detail?: Record<string, unknown>;
  createdAt: string;
}

interface OperatorEventView {
  id: string;
  type: string;
  endpointId?: string;
  detail?: string;
  createdAt: string;
}

type Page<T> = { data: T[]; nextCursor: string | null };

export const auditArea = new Hono<UiEnv>();

auditArea.get("/dashboard/apps/:appId/audit", async (c) => {
  const appId = c.req.param("appId");
  // Two lists on one page, each with its own cursor (and trail of earlier cursors).
  const entries = pageState(c, "cursor");
  const events = pageState(c, "events");
  const [app, audit, ops] = await Promise.all([
    appOf(c),
    c.var.client.get<Page<AuditView>>(appPath(appId, "audit"), {
      limit: PAGE_SIZE,
      cursor: entries.cursor,
    }),
    c.var.client.get<Page<OperatorEventView>>(appPath(appId, "operator-events"), {
      limit: PAGE_SIZE,
      cursor: events.cursor,
    }),
  ]);
  if (!app.ok) return problemPage(c, app.problem);
  return c.html(
    doc(
      <AuditPage
        csrf={c.var.session.csrf}
        app={app.data}
        audit={audit.ok ? audit.data : null}
        auditProblem={audit.ok ? undefined : audit.problem}
        auditState={entries}
        events={ops.ok ? ops.data : null}
        eventsProblem={ops.ok ? undefined : ops.problem}
        eventsCursor={events.cursor}
      />,
    ),
  );
});

function AuditPage(props: {
  csrf: string;
  app: AppView;
  audit: Page<AuditView> | null;
  auditProblem?: Problem;
  auditState: { cursor?: string; back: string[] };
  events: Page<OperatorEventView> | null;
  eventsProblem?: Problem;
  eventsCursor?: string;
}) {
  const { app } = props;
  const path = `/dashboard/apps/${encodeURIComponent(app.id)}/audit`;
  return (
    <Layout
      title={`Audit log · ${app.name}`}
      csrf={props.csrf}
      app={{ id: app.id, name: app.name, section: "audit" }}
    >
      <h1>Audit log</h1>
      <section aria-labelledby="audit-h">
        <h2 id="audit-h">Changes</h2>
        {props.auditProblem && <ProblemNote problem={props.auditProblem} />}
        {props.audit && props.audit.data.length === 0 && <p>No change recorded.</p>}
        {props.audit && props.audit.data.length > 0 && (
          <table>
            <caption>Who changed what, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {props.audit.data.map((e) => (
                <tr>
                  <td>
                    <time datetime={e.createdAt}>{e.createdAt}</time>
                  </td>
                  <td>
                    <code>{e.actor}</code>
                  </td>
                  <td>{e.action}</td>
                  <td>
                    {e.resourceType}
                    {e.resourceId ? (
                      <>
                        {" "}
                        <code>{e.resourceId}</code>
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                  <td>{e.detail ? <code class="detail">{JSON.stringify(e.detail)}</code> : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.audit && (
          <Pager
            path={path}
            filters={{ events: props.eventsCursor }}
            state={props.auditState}
            next={props.audit.nextCursor}
          />
        )}
      </section>
      <section aria-labelledby="events-h">
        <h2 id="events-h">Operator events</h2>
        <p class="note">What Hooklane did on its own, such as disabling a failing endpoint.</p>
        {props.eventsProblem && <ProblemNote problem={props.eventsProblem} />}
        {props.events && props.events.data.length === 0 && <p>No operator event.</p>}
        {props.events && props.events.data.length > 0 && (
          <table>
            <caption>Operator events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {props.events.data.map((e) => (
                <tr>
                  <td>
                    <time datetime={e.createdAt}>{e.createdAt}</time>
                  </td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    {e.endpointId ? (
                      <a
                        href={`/dashboard/apps/${encodeURIComponent(app.id)}/endpoints/${encodeURIComponent(e.endpointId)}`}
                      >
                        <code>{e.endpointId}</code>
                      </a>
                    ) : (
                      ""
                    )}
                  </td>
                  <td>{e.detail ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.events?.nextCursor && (
          <nav aria-label="Operator event pages" class="pager">
            {props.eventsCursor && <a href={path}>Newest events</a>}
            <a href={`${path}?events=${encodeURIComponent(props.events.nextCursor)}`} rel="next">
              Older events
            </a>
          </nav>
        )}
      </section>
    </Layout>
  );
}
