import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Problem } from "./api-client";
import { ErrorPage } from "./app";
import type { UiEnv } from "./session";

/** A page as a document: the JSX tree after a doctype, so browsers render in standards mode. */
export function doc(node: Child): string {
  return `<!DOCTYPE html>${node}`;
}

/** An API refusal on a dashboard GET, as a page; 404 stays 404, a 5xx is the API's failure. */
export function problemPage(c: Context<UiEnv>, problem: Problem): Response {
  return c.html(
    doc(
      <ErrorPage csrf={c.var.session.csrf} title={problem.title} detail={problem.detail ?? ""} />,
    ),
    problem.status === 404 ? 404 : problem.status >= 500 ? 502 : 400,
  );
}
