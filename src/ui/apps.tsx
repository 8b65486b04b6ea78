import type { z } from "zod";
import type { App } from "../schemas/resources";
import type { Problem } from "./api-client";
import { Csrf, Layout } from "./layout";

export type AppView = z.infer<typeof App>;

/** The apps list, newest first, one cursor page at a time, with the form that creates one. */
export function AppsPage(props: {
  csrf: string;
  apps: AppView[];
  nextCursor: string | null;
  /** A refused create: the API's problem and what was typed. */
  refused?: { problem: Problem; name: string; uid: string };
}) {
  const { refused } = props;
  return (
    <Layout title="Apps" csrf={props.csrf}>
      <h1>Apps</h1>
      {props.apps.length === 0 ? (
        <p>No apps yet.</p>
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
            {props.apps.map((app) => (
              <tr>
                <td>{app.name}</td>
                <td>
                  <a href={`/dashboard/apps/${encodeURIComponent(app.id)}`}>
                    <code>{app.id}</code>
                  </a>
                </td>
                <td>{app.uid ?? ""}</td>
                <td>{app.shard}</td>
                <td>
                  <time datetime={app.createdAt}>{app.createdAt}</time>
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
      <h2>Create an app</h2>
      <form method="post" action="/dashboard/apps" class="stack">
        <Csrf token={props.csrf} />
        {refused && <ProblemNote problem={refused.problem} />}
        <label for="app-name">Name</label>
        <input id="app-name" name="name" required maxlength={200} value={refused?.name} />
        <label for="app-uid">Uid (optional, your own id for it)</label>
        <input id="app-uid" name="uid" maxlength={200} value={refused?.uid} />
        <button type="submit">Create app</button>
      </form>
    </Layout>
  );
}

/** An API refusal shown next to its form: the title, the detail, and each field's problem. */
export function ProblemNote(props: { problem: Problem }) {
  const { problem } = props;
  return (
    <div role="alert" class="error">
      <p>
        {problem.title}
        {problem.detail ? `: ${problem.detail}` : ""}
      </p>
      {problem.errors && problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((e) => (
            <li>
              <code>{e.field}</code> {e.detail}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
