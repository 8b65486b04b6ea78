import type { AppRow } from "../db/apps";
import { iso } from "../db/page";
import { Layout } from "./layout";

/** One app's settings; the overview with charts and failing endpoints comes later. */
export function AppPage(props: { csrf: string; app: AppRow; shard: number }) {
  const { app } = props;
  return (
    <Layout title={app.name} csrf={props.csrf}>
      <nav aria-label="Breadcrumb">
        <a href="/dashboard/apps">Apps</a>
      </nav>
      <h1>{app.name}</h1>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{app.id}</code>
        </dd>
        <dt>Uid</dt>
        <dd>{app.uid ?? "none"}</dd>
        <dt>Shard</dt>
        <dd>{props.shard}</dd>
        <dt>Ingest rate limit</dt>
        <dd>{app.ingest_rate_limit === null ? "unlimited" : `${app.ingest_rate_limit} / s`}</dd>
        <dt>Endpoint limit</dt>
        <dd>{app.max_endpoints === null ? "default" : app.max_endpoints}</dd>
        <dt>Created</dt>
        <dd>
          <time datetime={iso(app.created_at)}>{iso(app.created_at)}</time>
        </dd>
      </dl>
    </Layout>
  );
}

/** A page-shaped error (not problem+json: a browser shows it). */
export function ErrorPage(props: { csrf?: string; title: string; detail: string }) {
  return (
    <Layout title={props.title} csrf={props.csrf}>
      <h1>{props.title}</h1>
      <p>{props.detail}</p>
      <p>
        <a href="/dashboard">Back to the dashboard</a>
      </p>
    </Layout>
  );
}
