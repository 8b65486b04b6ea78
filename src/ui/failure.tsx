import type { Context } from "hono";
import { STYLE_PATH } from "./layout";

/**
 * The page for a request the UI could not serve: no navigation (the visitor may be an operator
 * or a portal user), the request id to quote, and nothing of the error itself.
 */
function FailurePage(props: { title: string; detail: string; requestId?: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · Hooklane`}</title>
        <link rel="stylesheet" href={STYLE_PATH} />
      </head>
      <body>
        <main id="main">
          <h1>{props.title}</h1>
          <p>{props.detail}</p>
          {props.requestId && (
            <p>
              Request id: <code>{props.requestId}</code>
            </p>
          )}
        </main>
      </body>
    </html>
  );
}

/** 404 as a page, for paths under the UI that no route serves. */
export function notFoundPage(c: Context): Response {
  return c.html(
    `<!DOCTYPE html>${<FailurePage title="Not found" detail="There is no page at this address." />}`,
    404,
    { "cache-control": "no-store" },
  );
}

/** 500 as a page; the error goes to the log with the request id, never to the browser. */
export function failurePage(err: unknown, c: Context): Response {
  const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
  console.error(
    JSON.stringify({
      msg: "ui error",
      requestId,
      path: c.req.path,
      error: String(err),
      stack: err instanceof Error ? err.stack : undefined,
    }),
  );
  return c.html(
    `<!DOCTYPE html>${(
      <FailurePage
        title="Something went wrong"
        detail="The page could not be shown. Nothing was changed unless the page said so; try again, and quote the request id if it keeps failing."
        requestId={requestId}
      />
    )}`,
    500,
    { "cache-control": "no-store" },
  );
}
