import { Layout } from "./layout";

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
