/**
 * One message as an operator (dashboard) or an app's consumer (portal) reads it: the payload as
 * stored, each endpoint's delivery, the attempt timeline with each request as it went out, a
 * copy-as-curl and a signature check snippet. Pure rendering: the pages fetch through the API
 * and pass what they got; `baseUrl` roots every link and form this view makes.
 */
import { prettyJson } from "../pretty-json";
import { CodeBlock, RequestView, VERIFY_SNIPPET } from "./request-view";

export { curlCommand } from "./request-view";

/** A delivery as the API's Message shows it. */
export interface ViewDelivery {
  id: string;
  endpointId: string;
  status: string;
  attempts: number;
}

/** The message as the API answers it, with its payload's stored text beside it. */
export interface ViewMessage {
  id: string;
  eventType: string;
  eventId?: string;
  createdAt: string;
  archived?: boolean;
  deliveries: ViewDelivery[];
  /** Endpoints whose payload filter refused the message (no delivery was made for them). */
  filtered?: string[];
}

/** One header of a request as it went out; `redacted` when its value is a secret. */
export interface ViewHeader {
  name: string;
  value: string;
  redacted?: boolean;
}

/** The request of one attempt, rebuilt by the API (see its `.../request` route). */
export interface ViewRequest {
  method: string;
  url: string;
  headers: ViewHeader[];
  body: string;
  /** How the signature shown was obtained: recomputed on read, or not shown and why. */
  signature: { recomputed: boolean; detail: string };
  /** What may differ from the request that went out, in words. */
  notes: string[];
}

/** An attempt as the API lists it, with its request when the page could rebuild it. */
export interface ViewAttempt {
  id: string;
  deliveryId: string;
  endpointId: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  statusCode?: number;
  error?: string;
  responseExcerpt?: string;
  request?: ViewRequest;
}

export interface MessageViewProps {
  message: ViewMessage;
  /** The payload exactly as stored (the sender's bytes). */
  payload: string;
  attempts: ViewAttempt[];
  /** Show a Replay form on dead deliveries (posts to `${baseUrl}/dead-letters/{id}/replay`). */
  canReplay: boolean;
  /** Required when `canReplay`: the session's CSRF token for the forms. */
  csrf?: string;
  /** Root of the app's pages, e.g. `/dashboard/apps/app_...`; links to endpoints hang off it. */
  baseUrl: string;
  /** Link endpoint ids to `${baseUrl}/endpoints/{id}` (off in views without endpoint pages). */
  linkEndpoints?: boolean;
  /** A cursor for older attempts than those shown, when there are more. */
  olderAttempts?: string;
  /**
   * A same-origin script that shows the Copy buttons (hidden without it), where the page's
   * policy allows one; the view works without.
   */
  enhanceScript?: string;
}

/** The message page's body (no layout: the caller wraps it). */
export function MessageView(props: MessageViewProps) {
  const { message } = props;
  const bytes = new TextEncoder().encode(props.payload).byteLength;
  return (
    <article class="message-view">
      <h1>
        Message <code>{message.id}</code>
      </h1>
      <dl class="facts">
        <dt>Event type</dt>
        <dd>
          <code>{message.eventType}</code>
        </dd>
        {message.eventId && (
          <>
            <dt>Event id</dt>
            <dd>
              <code>{message.eventId}</code>
            </dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          <time datetime={message.createdAt}>{message.createdAt}</time>
        </dd>
        {message.archived && (
          <>
            <dt>Stored</dt>
            <dd>In the archive (past the D1 retention); deliveries as they were then.</dd>
          </>
        )}
      </dl>

      <section aria-labelledby="payload-h">
        <h2 id="payload-h">Payload</h2>
        <p class="muted">
          Indented for reading without parsing it, so numbers show exactly as sent. The raw bytes
          below are what every endpoint received inside <code>data</code>.
        </p>
        <CodeBlock id="payload-pretty" label="Payload, indented" text={prettyJson(props.payload)} />
        <details>
          <summary>Raw payload as stored ({bytes.toLocaleString("en-US")} bytes)</summary>
          <CodeBlock id="payload-raw" label="Payload, raw bytes" text={props.payload} />
        </details>
      </section>

      <section aria-labelledby="deliveries-h">
        <h2 id="deliveries-h">Deliveries</h2>
        <Deliveries {...props} />
        <Filtered {...props} />
      </section>

      <section aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts</h2>
        {props.attempts.length === 0 ? (
          <p>No attempt yet.</p>
        ) : (
          <ol class="timeline" reversed>
            {props.attempts.map((a) => (
              <AttemptItem attempt={a} {...props} />
            ))}
          </ol>
        )}
        {props.olderAttempts && (
          <p>
            <a href={`?attempts=${encodeURIComponent(props.olderAttempts)}`} rel="next">
              Older attempts
            </a>
          </p>
        )}
      </section>

      <section aria-labelledby="verify-h">
        <h2 id="verify-h">Verify the signature (Node)</h2>
        <p>
          With the <code>standardwebhooks</code> npm package, on the raw request body (before any
          JSON parsing) and the endpoint's signing secret (<code>whsec_...</code>):
        </p>
        <CodeBlock id="verify-snippet" label="Node verification snippet" text={VERIFY_SNIPPET} />
      </section>
      {props.enhanceScript && <script src={props.enhanceScript} defer />}
    </article>
  );
}

/** Endpoints a payload filter left out: they take the event type, but not this payload. */
function Filtered(props: MessageViewProps) {
  const filtered = props.message.filtered ?? [];
  if (filtered.length === 0) return null;
  return (
    <>
      <h3 id="filtered-h">Filtered</h3>
      <p>
        {filtered.length === 1 ? "This endpoint takes" : "These endpoints take"} the event type, but{" "}
        {filtered.length === 1 ? "its payload filter" : "their payload filters"} refused this
        message: no delivery was made.
      </p>
      <ul aria-labelledby="filtered-h">
        {filtered.map((id) => (
          <li>
            <EndpointRef id={id} {...props} />
          </li>
        ))}
      </ul>
    </>
  );
}

/** Deliveries listed on the page; a wide fan-out's others are counted, not listed. */
const DELIVERIES_SHOWN = 200;

function Deliveries(props: MessageViewProps) {
  const { message } = props;
  if (message.deliveries.length === 0)
    return (
      <p>
        {message.filtered?.length
          ? "No delivery: every endpoint that takes this event type filtered it out."
          : "No endpoint matched this message."}
      </p>
    );
  const shown = message.deliveries.slice(0, DELIVERIES_SHOWN);
  const hidden = message.deliveries.length - shown.length;
  return (
    <>
      {hidden > 0 && (
        <p class="note">
          The first {DELIVERIES_SHOWN} of {message.deliveries.length.toLocaleString("en-US")}{" "}
          deliveries; by status:{" "}
          {statusCounts(message.deliveries)
            .map(([s, n]) => `${n.toLocaleString("en-US")} ${s}`)
            .join(", ")}
          .
        </p>
      )}
      <table>
        <caption>One delivery per endpoint the message fanned out to</caption>
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            {props.canReplay && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {shown.map((d) => (
            <tr>
              <td>
                <EndpointRef id={d.endpointId} {...props} />
              </td>
              <td>
                <StatusBadge status={d.status} />
              </td>
              <td>{d.attempts}</td>
              {props.canReplay && (
                <td>
                  {d.status === "dead" && props.csrf !== undefined ? (
                    <form
                      method="post"
                      action={`${props.baseUrl}/dead-letters/${encodeURIComponent(d.id)}/replay`}
                    >
                      <input type="hidden" name="csrf" value={props.csrf} />
                      <input
                        type="hidden"
                        name="back"
                        value={`${props.baseUrl}/messages/${message.id}`}
                      />
                      <button type="submit" aria-label={`Replay the delivery to ${d.endpointId}`}>
                        Replay
                      </button>
                    </form>
                  ) : (
                    ""
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** Each status with how many deliveries have it, in first-seen order. */
function statusCounts(deliveries: ViewDelivery[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const d of deliveries) counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
  return [...counts];
}

function AttemptItem(props: MessageViewProps & { attempt: ViewAttempt }) {
  const a = props.attempt;
  const outcome =
    a.statusCode !== undefined ? `HTTP ${a.statusCode}` : a.error ? `no answer: ${a.error}` : "";
  const headingId = `att-${a.id}`;
  return (
    <li class="attempt">
      <h3 id={headingId}>
        Attempt {a.attempt} to <EndpointRef id={a.endpointId} {...props} />
      </h3>
      <dl class="facts">
        <dt>Started</dt>
        <dd>
          <time datetime={a.startedAt}>{a.startedAt}</time>
        </dd>
        <dt>Outcome</dt>
        <dd>
          <span class={outcomeClass(a)}>{outcome}</span>
          {a.statusCode !== undefined && a.error ? ` (${a.error})` : ""}
        </dd>
        <dt>Latency</dt>
        <dd>{a.durationMs} ms</dd>
        <dt>Attempt id</dt>
        <dd>
          <code>{a.id}</code>
        </dd>
      </dl>
      {a.request ? (
        <RequestView request={a.request} attemptId={a.id} />
      ) : (
        <p class="muted">The request of this attempt could not be rebuilt.</p>
      )}
      <h4>Response excerpt</h4>
      {a.responseExcerpt ? (
        <CodeBlock id={`resp-${a.id}`} label="Response excerpt" text={a.responseExcerpt} />
      ) : (
        <p class="muted">No response body.</p>
      )}
    </li>
  );
}

function EndpointRef(props: { id: string; baseUrl: string; linkEndpoints?: boolean }) {
  if (!props.linkEndpoints) return <code>{props.id}</code>;
  return (
    <a href={`${props.baseUrl}/endpoints/${encodeURIComponent(props.id)}`}>
      <code>{props.id}</code>
    </a>
  );
}

/** A delivery status as a labelled badge (text, not colour alone, carries the meaning). */
export function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

function outcomeClass(a: ViewAttempt): string {
  if (a.statusCode !== undefined && a.statusCode >= 200 && a.statusCode < 300) return "ok";
  return "error";
}
