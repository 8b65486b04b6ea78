import type { Context, MiddlewareHandler } from "hono";
import type { PortalCapability } from "../../schemas/portal";
import { appPath, type Problem } from "../api-client";
import { doc } from "../render";
import type { PortalSection } from "./layout";
import { PortalErrorPage } from "./pages/notices";
import { can, type PortalEnv } from "./session";

/** Rows per page of the portal's lists. */
export const PAGE_SIZE = 50;

/** A page of an API list. */
export type Page<T> = { data: T[]; nextCursor: string | null };
export type Ctx = Context<PortalEnv>;

/** A page inside the portal's layout saying what went wrong. */
export function errorPage(
  c: Ctx,
  section: PortalSection,
  status: 401 | 403 | 404 | 409 | 413 | 422 | 429 | 502,
  title: string,
  detail: string,
): Response {
  return c.html(
    doc(<PortalErrorPage session={c.var.portal} section={section} title={title} detail={detail} />),
    status,
  );
}

/** The session may do this, or the request answers 403 before the API is called. */
export function need(
  capability: PortalCapability,
  section: PortalSection,
): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    if (!can(c, capability))
      return errorPage(
        c,
        section,
        403,
        "Not allowed",
        `This portal session may not do that (it needs the ${capability} capability).`,
      );
    await next();
  };
}

/** An API refusal as a page: 404 stays 404, a 5xx is the API's failure. */
export function problemPage(c: Ctx, section: PortalSection, problem: Problem): Response {
  const status =
    problem.status === 404 ? 404 : problem.status === 409 ? 409 : problem.status >= 500 ? 502 : 422;
  return errorPage(c, section, status, problem.title, problem.detail ?? "");
}

/** The form's status for a refused write: the API's 4xx, or 502 when the API failed. */
export function refusedStatus(problem: Problem): 409 | 422 | 429 | 502 {
  if (problem.status === 409 || problem.status === 429) return problem.status;
  return problem.status >= 500 ? 502 : 422;
}

/** The API path of a resource of the session's app. */
export const app = (c: Ctx, ...rest: string[]) => appPath(c.var.portal.appId, ...rest);
/** The `cursor` query parameter, when it is a plausible one. */
export const cursorOf = (c: Ctx) => {
  const cursor = c.req.query("cursor");
  return cursor && cursor.length <= 200 ? cursor : undefined;
};
