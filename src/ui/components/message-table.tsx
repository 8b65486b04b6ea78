import { StatusBadge } from "./message-view";

/** A message as the API lists it (the fields the list shows). */
export interface MessageListItem {
  id: string;
  eventType: string;
  createdAt: string;
  deliveries: { id: string; endpointId: string; status: string; attempts: number }[];
}

/**
 * The message log's table, the dashboard's and the portal's: each message links to its page and
 * sums its deliveries by status (a wide fan-out reads "succeeded ×500", not 500 badges).
 */
export function MessageTable(props: {
  messages: MessageListItem[];
  caption: string;
  hrefOf: (messageId: string) => string;
}) {
  return (
    <table>
      <caption>{props.caption}</caption>
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
              <a href={props.hrefOf(m.id)}>
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
                : countByStatus(m.deliveries.map((d) => d.status)).map(([status, n]) => (
                    <>
                      <StatusBadge status={status} /> {n > 1 ? `×${n} ` : " "}
                    </>
                  ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Statuses with their counts, in first-seen order. */
function countByStatus(statuses: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts];
}
