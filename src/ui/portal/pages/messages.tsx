import { StatusBadge } from "../../components/message-view";
import { PortalLayout } from "../layout";
import type { PortalSession } from "../session";

/** A message as the API lists it (the fields the list shows). */
export interface MessageListItem {
  id: string;
  eventType: string;
  createdAt: string;
  deliveries: { id: string; endpointId: string; status: string; attempts: number }[];
}

/** The message log, newest first, optionally of one event type. */
export function MessagesPage(props: {
  session: PortalSession;
  messages: MessageListItem[];
  nextCursor: string | null;
  eventType: string;
}) {
  const more = new URLSearchParams();
  if (props.eventType) more.set("eventType", props.eventType);
  if (props.nextCursor) more.set("cursor", props.nextCursor);
  return (
    <PortalLayout title="Messages" session={props.session} section="messages">
      <h1>Messages</h1>
      <form method="get" action="/portal/messages" class="filters">
        <div>
          <label for="eventType">Event type</label>
          <input id="eventType" name="eventType" value={props.eventType} />
        </div>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {props.messages.length === 0 ? (
        <p>No messages.</p>
      ) : (
        <table>
          <caption>Messages, newest first, with each endpoint's delivery</caption>
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Event type</th>
              <th scope="col">Created</th>
              <th scope="col">Deliveries</th>
            </tr>
          </thead>
          <tbody>
            {props.messages.map((m) => (
              <tr>
                <td>
                  <a href={`/portal/messages/${encodeURIComponent(m.id)}`}>
                    <code>{m.id}</code>
                  </a>
                </td>
                <td>
                  <code>{m.eventType}</code>
                </td>
                <td>
                  <time datetime={m.createdAt}>{m.createdAt}</time>
                </td>
                <td>
                  {m.deliveries.length === 0
                    ? "none"
                    : m.deliveries.map((d) => <StatusBadge status={d.status} />)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor && (
        <nav aria-label="Pages" class="pager">
          <a href={`/portal/messages?${more.toString()}`} rel="next">
            Older messages
          </a>
        </nav>
      )}
    </PortalLayout>
  );
}
