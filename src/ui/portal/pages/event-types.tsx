import type { Problem } from "../../api-client";
import { Csrf, PortalLayout, ProblemNotice } from "../layout";
import type { PortalSession } from "../session";
import type { EndpointView } from "./endpoints";

/** An event type with its example payload, as the catalog shows it. */
export interface CatalogEntry {
  name: string;
  description?: string;
  schema?: Record<string, unknown>;
  /** The example, as JSON text (indented). */
  example: string;
}

/** A DOM id from an event type name (letters, digits, `-`, `_` and `.` are kept). */
function slug(name: string): string {
  return `et-${name.replace(/[^A-Za-z0-9_.-]/g, "-")}`;
}

/**
 * The event type catalog: each type's schema and an example, and (when the session may manage
 * endpoints and has one) a form that sends the example to a chosen endpoint.
 */
export function EventTypesPage(props: {
  session: PortalSession;
  types: CatalogEntry[];
  nextCursor: string | null;
  endpoints: EndpointView[];
  canSend: boolean;
  problem?: Problem;
}) {
  return (
    <PortalLayout title="Event types" session={props.session} section="event-types">
      <h1>Event types</h1>
      <ProblemNotice problem={props.problem} />
      {props.types.length === 0 ? (
        <p>No event types are described yet.</p>
      ) : (
        <div class="catalog">
          {props.types.map((t) => {
            const id = slug(t.name);
            return (
              <section aria-labelledby={`${id}-h`}>
                <h2 id={`${id}-h`}>
                  <code>{t.name}</code>
                </h2>
                {t.description && <p>{t.description}</p>}
                <details>
                  <summary>Schema</summary>
                  {t.schema ? (
                    <section class="code" aria-label={`Schema of ${t.name}`}>
                      <pre tabindex={0}>
                        <code>{JSON.stringify(t.schema, null, 2)}</code>
                      </pre>
                    </section>
                  ) : (
                    <p>No schema: any JSON object.</p>
                  )}
                </details>
                <h3>Example</h3>
                <section class="code" aria-label={`Example of ${t.name}`}>
                  <pre tabindex={0}>
                    <code>{t.example}</code>
                  </pre>
                </section>
                {props.canSend &&
                  (props.endpoints.length === 0 ? (
                    <p class="hint">Add an endpoint to send this example to it.</p>
                  ) : (
                    <form method="post" action="/portal/event-types/send" class="actions">
                      <Csrf session={props.session} />
                      <input type="hidden" name="eventType" value={t.name} />
                      <div>
                        <label for={`${id}-endpoint`}>Endpoint</label>
                        <select id={`${id}-endpoint`} name="endpointId">
                          {props.endpoints.map((e) => (
                            <option value={e.id}>{e.url}</option>
                          ))}
                        </select>
                      </div>
                      <button type="submit">Send this example to my endpoint</button>
                    </form>
                  ))}
              </section>
            );
          })}
        </div>
      )}
      {props.nextCursor && (
        <nav aria-label="Pages" class="pager">
          <a href={`/portal/event-types?cursor=${encodeURIComponent(props.nextCursor)}`} rel="next">
            More event types
          </a>
        </nav>
      )}
    </PortalLayout>
  );
}
