import type { Child } from "hono/jsx";

/** Where the stylesheet is served; the name changes with its content so it can be cached. */
export const STYLE_PATH = "/dashboard/assets/style-3.css";

/** The sections of one app's pages, in the order of its tab bar. */
export const APP_SECTIONS = [
  { key: "overview", label: "Overview", path: "" },
  { key: "endpoints", label: "Endpoints", path: "/endpoints" },
  { key: "messages", label: "Messages", path: "/messages" },
  { key: "dead-letters", label: "Dead letters", path: "/dead-letters" },
  { key: "audit", label: "Audit log", path: "/audit" },
] as const;

export type AppSection = (typeof APP_SECTIONS)[number]["key"];

/** The page shell: head, skip link, banner with navigation and sign-out, the main landmark. */
export function Layout(props: {
  title: string;
  /** The signed-in session's CSRF token; absent on the sign-in page (no navigation there). */
  csrf?: string;
  /** On one app's pages: the app, and which of its sections this page is. */
  app?: { id: string; name: string; section: AppSection };
  children: Child;
}) {
  const { app } = props;
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
        <main id="main">
          {app && <AppTabs app={app} />}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** Breadcrumb back to the apps, the app's name, and its section tabs. */
function AppTabs(props: { app: { id: string; name: string; section: AppSection } }) {
  const { app } = props;
  const base = `/dashboard/apps/${encodeURIComponent(app.id)}`;
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/dashboard/apps">Apps</a> <span aria-hidden="true">/</span>{" "}
        <a href={base}>{app.name}</a>
      </nav>
      <nav aria-label="App sections" class="tabs">
        <ul>
          {APP_SECTIONS.map((s) => (
            <li>
              <a href={base + s.path} aria-current={s.key === app.section ? "page" : undefined}>
                {s.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </>
  );
}

/** The hidden CSRF field every dashboard form carries. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}
