import type { Problem } from "../../api-client";
import { OptionsFacts, OptionsSection } from "../../components/endpoint-options";
import type { OptionsState, OptionsValues } from "../../endpoint-options";
import { Csrf, PortalLayout, ProblemNotice } from "../layout";
import type { PortalSession } from "../session";

/** An endpoint as the API answers it (the fields the portal shows). */
export interface EndpointView {
  id: string;
  url: string;
  description?: string;
  eventTypes: string[];
  authProfileId: string;
  disabled: boolean;
  disabledReason?: string;
  createdAt: string;
  format: string;
  transform?: string;
  batch?: { maxEvents: number; maxWaitMs: number };
}

/** The values of the endpoint form, as typed (kept when the API refuses them). */
export interface EndpointFormValues {
  url: string;
  description: string;
  eventTypes: string;
  disabled?: boolean;
}

/** The form's event types field to the API's list: split on commas and spaces. */
export function parseEventTypes(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function EndpointFields(props: { values: EndpointFormValues; edit: boolean }) {
  const v = props.values;
  return (
    <div class="fields">
      <div>
        <label for="url">URL</label>
        <input id="url" name="url" type="url" required value={v.url} maxlength={2048} />
      </div>
      <div>
        <label for="description">Description</label>
        <input id="description" name="description" value={v.description} maxlength={1000} />
      </div>
      <div>
        <label for="eventTypes">Event types</label>
        <input
          id="eventTypes"
          name="eventTypes"
          value={v.eventTypes}
          aria-describedby="eventTypes-hint"
        />
        <span id="eventTypes-hint" class="hint">
          Comma-separated, e.g. invoice.paid, invoice.*; empty for every event type.
        </span>
      </div>
      {props.edit && (
        <div>
          <label>
            <input type="checkbox" name="disabled" value="on" checked={v.disabled} /> Disabled (no
            deliveries)
          </label>
        </div>
      )}
    </div>
  );
}

/** The endpoints list, with the create form when the session may manage endpoints. */
export function EndpointsPage(props: {
  session: PortalSession;
  endpoints: EndpointView[];
  nextCursor: string | null;
  canManage: boolean;
  problem?: Problem;
  values?: EndpointFormValues;
}) {
  return (
    <PortalLayout title="Endpoints" session={props.session} section="endpoints">
      <h1>Endpoints</h1>
      {props.endpoints.length === 0 ? (
        <p>No endpoints yet.</p>
      ) : (
        <table>
          <caption>Where your webhooks are sent</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Event types</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {props.endpoints.map((e) => (
              <tr>
                <td>
                  <a href={`/portal/endpoints/${encodeURIComponent(e.id)}`}>{e.url}</a>
                  {e.description && <div class="hint">{e.description}</div>}
                </td>
                <td>{e.eventTypes.length === 0 ? "all" : e.eventTypes.join(", ")}</td>
                <td>{e.disabled ? "disabled" : "enabled"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor && (
        <nav aria-label="Pages" class="pager">
          <a href={`/portal/endpoints?cursor=${encodeURIComponent(props.nextCursor)}`} rel="next">
            More endpoints
          </a>
        </nav>
      )}
      {props.canManage && (
        <section aria-labelledby="add-h">
          <h2 id="add-h">Add an endpoint</h2>
          <ProblemNotice problem={props.problem} />
          <form method="post" action="/portal/endpoints">
            <Csrf session={props.session} />
            <EndpointFields
              values={props.values ?? { url: "", description: "", eventTypes: "" }}
              edit={false}
            />
            <button type="submit">Add endpoint</button>
          </form>
        </section>
      )}
    </PortalLayout>
  );
}

/** One endpoint: its settings, its signing secret and recovery, as the session allows. */
export function EndpointPage(props: {
  session: PortalSession;
  endpoint: EndpointView;
  problem?: Problem;
  values?: EndpointFormValues;
  /** A secret just revealed or rotated (shown once, on this answer only). */
  secret?: { value: string; rotated: boolean };
  notice?: string;
  /** The stored format, filter (as stored, indented), transform and batching. */
  options: OptionsValues;
  /** A refused options form, or a filter test's or transform preview's result. */
  optionsState?: OptionsState;
}) {
  const { endpoint: e, session } = props;
  const caps = session.capabilities;
  const base = `/portal/endpoints/${encodeURIComponent(e.id)}`;
  return (
    <PortalLayout title={e.url} session={session} section="endpoints">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/portal/endpoints">Endpoints</a>
      </nav>
      <h1>Endpoint</h1>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <dl class="facts">
        <dt>URL</dt>
        <dd>
          <code>{e.url}</code>
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{e.id}</code>
        </dd>
        <dt>Event types</dt>
        <dd>{e.eventTypes.length === 0 ? "all" : e.eventTypes.join(", ")}</dd>
        <dt>Status</dt>
        <dd>
          {e.disabled ? `disabled${e.disabledReason ? ` (${e.disabledReason})` : ""}` : "enabled"}
        </dd>
        <dt>Created</dt>
        <dd>
          <time datetime={e.createdAt}>{e.createdAt}</time>
        </dd>
        <OptionsFacts stored={props.options} />
      </dl>
      <p>
        <a href="/portal/messages">Messages</a> ·{" "}
        <a href="/portal/event-types">Send an example event</a>
      </p>

      {(caps.has("view-secrets") || caps.has("rotate-secrets")) && (
        <section aria-labelledby="secret-h">
          <h2 id="secret-h">Signing secret</h2>
          {props.secret && (
            <p class="notice" role="status">
              {props.secret.rotated
                ? "New secret (the old one keeps signing for 24 hours): "
                : "Current secret: "}
              <code class="secret" id="secret-value">
                {props.secret.value}
              </code>
            </p>
          )}
          <div class="actions">
            {caps.has("view-secrets") && (
              <form method="post" action={`${base}/reveal`} class="inline">
                <Csrf session={session} />
                <button type="submit" class="secondary">
                  Reveal secret
                </button>
              </form>
            )}
            {caps.has("rotate-secrets") && (
              <form method="post" action={`${base}/rotate`} class="inline">
                <Csrf session={session} />
                <button type="submit" class="secondary">
                  Rotate secret
                </button>
              </form>
            )}
          </div>
        </section>
      )}

      {caps.has("replay") && (
        <section aria-labelledby="recover-h">
          <h2 id="recover-h">Recover</h2>
          <p>Send again every failed delivery to this endpoint since a time (UTC).</p>
          <form method="post" action={`${base}/recover`} class="actions">
            <Csrf session={session} />
            <div>
              <label for="since">Since</label>
              <input id="since" name="since" type="datetime-local" required />
            </div>
            <button type="submit">Recover</button>
          </form>
        </section>
      )}

      {caps.has("manage-endpoints") && (
        <>
          <section aria-labelledby="edit-h">
            <h2 id="edit-h">Edit</h2>
            <ProblemNotice problem={props.problem} />
            <form method="post" action={base}>
              <Csrf session={session} />
              <EndpointFields
                values={
                  props.values ?? {
                    url: e.url,
                    description: e.description ?? "",
                    eventTypes: e.eventTypes.join(", "),
                    disabled: e.disabled,
                  }
                }
                edit={true}
              />
              <button type="submit">Save</button>
            </form>
          </section>
          <OptionsSection
            base={base}
            csrf={session.csrf}
            stored={props.options}
            state={props.optionsState ?? {}}
          />
          <section aria-labelledby="delete-h">
            <h2 id="delete-h">Delete</h2>
            <form method="post" action={`${base}/delete`}>
              <Csrf session={session} />
              <button type="submit" class="danger">
                Delete this endpoint
              </button>
            </form>
          </section>
        </>
      )}
    </PortalLayout>
  );
}
