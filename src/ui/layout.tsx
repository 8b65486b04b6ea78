import type { Child } from "hono/jsx";

/** Where the stylesheet is served; the name changes with its content so it can be cached. */
export const STYLE_PATH = "/dashboard/assets/style-1.css";

/** The page shell: head, skip link, banner with navigation and sign-out, the main landmark. */
export function Layout(props: {
  title: string;
  /** The signed-in session's CSRF token; absent on the sign-in page (no navigation there). */
  csrf?: string;
  children: Child;
}) {
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
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="banner">
          <a class="brand" href="/dashboard">
            Hooklane
          </a>
          {props.csrf !== undefined && (
            <>
              <nav aria-label="Dashboard">
                <ul>
                  <li>
                    <a href="/dashboard/apps">Apps</a>
                  </li>
                </ul>
              </nav>
              <form method="post" action="/dashboard/sign-out" class="sign-out">
                <input type="hidden" name="csrf" value={props.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </>
          )}
        </header>
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}
