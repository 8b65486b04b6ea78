import { type MessageListItem, MessageTable } from "../../components/message-table";

export type { MessageListItem };

import { PortalLayout } from "../layout";
import type { PortalSession } from "../session";

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
        <MessageTable
          messages={props.messages}
          caption="Messages, newest first, with each endpoint's delivery"
          hrefOf={(id) => `/portal/messages/${encodeURIComponent(id)}`}
        />
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
