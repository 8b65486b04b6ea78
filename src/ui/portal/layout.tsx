import type { Child } from "hono/jsx";
import { PORTAL_STYLE_PATH, PORTAL_THEME_PATH } from "./assets";
import type { PortalSession } from "./session";
import { parseAccent } from "./theme";

/** The portal's sections, in the order of its navigation. */
export const PORTAL_SECTIONS = [
  { key: "endpoints", label: "Endpoints", path: "/portal/endpoints" },
  { key: "event-types", label: "Event types", path: "/portal/event-types" },
  { key: "messages", label: "Messages", path: "/portal/messages" },
] as const;
export type PortalSection = (typeof PORTAL_SECTIONS)[number]["key"];

/** The document: head with the portal's stylesheet (and the session's accent), then the body. */
function Shell(props: { title: string; session?: PortalSession; children: Child }) {
  const theme = props.session?.theme ?? {};
  const accent = parseAccent(theme.accent);
  const mode = theme.mode && theme.mode !== "auto" ? `mode-${theme.mode}` : undefined;
  return (
    <html lang="en" class={mode}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta
          name="color-scheme"
          content={mode === "mode-light" ? "light" : mode === "mode-dark" ? "dark" : "light dark"}
        />
        <title>{`${props.title} · Webhooks`}</title>
        <link rel="stylesheet" href={PORTAL_STYLE_PATH} />
        {accent && (
          <link rel="stylesheet" href={`${PORTAL_THEME_PATH}?accent=${accent.slice(1)}`} />
        )}
      </head>
      <body>{props.children}</body>
    </html>
  );
}

/** A page behind a session: banner (logo, title, sections), then the main landmark. */
export function PortalLayout(props: {
  title: string;
  session: PortalSession;
  section: PortalSection;
  children: Child;
}) {
  const { session } = props;
  return (
    <Shell title={props.title} session={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="banner">
        {session.theme.logoUrl && <img src={session.theme.logoUrl} alt="Logo" />}
        <span class="portal-title">Webhooks</span>
        <nav aria-label="Portal">
          <ul>
            {PORTAL_SECTIONS.map((s) => (
              <li>
                <a href={s.path} aria-current={s.key === props.section ? "page" : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main">{props.children}</main>
    </Shell>
  );
}

/** A page without a session (opening one, or it has ended): no navigation. */
export function BarePage(props: { title: string; session?: PortalSession; children: Child }) {
  return (
    <Shell title={props.title} session={props.session}>
      <header class="banner">
        <span class="portal-title">Webhooks</span>
      </header>
      <main id="main" class="ended">
        {props.children}
      </main>
    </Shell>
  );
}

/** The hidden CSRF field every portal form carries. */
export function Csrf(props: { session: PortalSession }) {
  return <input type="hidden" name="csrf" value={props.session.csrf} />;
}

/** An API refusal shown above a form: its title, detail and each field's problem. */
export function ProblemNotice(props: {
  problem?: {
    title: string;
    detail?: string;
    errors?: { field?: string; path?: string; detail?: string; message?: string }[];
  };
}) {
  const p = props.problem;
  if (!p) return null;
  return (
    <div class="error" role="alert">
      <p>
        {p.title}
        {p.detail ? `: ${p.detail}` : ""}
      </p>
      {p.errors && p.errors.length > 0 && (
        <ul>
          {p.errors.map((e) => (
            <li>
              {e.field ?? e.path ?? ""}: {e.detail ?? e.message ?? ""}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
