import type { AppRow } from "../db/apps";
import { iso } from "../db/page";
import { Layout } from "./layout";

/** The apps list, newest first, one cursor page at a time. */
export function AppsPage(props: {
  csrf: string;
  apps: { row: AppRow; shard: number }[];
  nextCursor: string | null;
}) {
  return (
    <Layout title="Apps" csrf={props.csrf}>
      <h1>Apps</h1>
      {props.apps.length === 0 ? (
        <p>No apps yet. Create one with POST /v1/apps.</p>
      ) : (
        <table>
          <caption>Apps, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Uid</th>
              <th scope="col">Shard</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {props.apps.map(({ row, shard }) => (
              <tr>
                <td>{row.name}</td>
                <td>
                  <a href={`/dashboard/apps/${encodeURIComponent(row.id)}`}>
                    <code>{row.id}</code>
                  </a>
                </td>
                <td>{row.uid ?? ""}</td>
                <td>{shard}</td>
                <td>
                  <time datetime={iso(row.created_at)}>{iso(row.created_at)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor && (
        <nav aria-label="Pages">
          <a href={`/dashboard/apps?cursor=${encodeURIComponent(props.nextCursor)}`} rel="next">
            Older apps
          </a>
        </nav>
      )}
    </Layout>
  );
}
