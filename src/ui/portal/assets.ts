/**
 * The portal's static files: its stylesheet (the dashboard's, plus forced light and dark modes
 * and the accent's uses) and its one script, which trades the link's one-time code for a
 * session. Served by the Worker under names that change with their content, so the
 * Content-Security-Policy can say `'self'` and no inline code is needed.
 */
import { fnv1a } from "../../lib/spread";
import { ENHANCE_JS } from "../dashboard/enhance";
import { STYLESHEET } from "../style";

/** The per-session accent (see theme.ts): `?accent=rrggbb`. */
export const PORTAL_THEME_PATH = "/portal/theme.css";

/** The palettes of both modes, for `mode: light` or `dark` whatever the viewer's system says. */
const LIGHT = `color-scheme: light;
  --bg: #ffffff; --fg: #1a1a1a; --muted: #4a4a4a; --line: #d0d0d0;
  --accent: #0b57d0; --accent-fg: #ffffff; --error: #b3261e; --panel: #f4f6f8;
  --ok: #146c2e; --warn: #7a4d00; --badge-bg: #eef1f4;`;
const DARK = `color-scheme: dark;
  --bg: #121417; --fg: #eceff1; --muted: #b8bec4; --line: #3a3f45;
  --accent: #8ab4f8; --accent-fg: #0b1a33; --error: #f2b8b5; --panel: #1c1f24;
  --ok: #8fd9a0; --warn: #f0c36b; --badge-bg: #262a30;`;

export const PORTAL_STYLESHEET = `${STYLESHEET}
:root.mode-light { ${LIGHT} }
:root.mode-dark { ${DARK} }
button, .button { background: var(--brand, var(--accent)); color: var(--brand-fg, var(--accent-fg)); }
.button { display: inline-block; padding: 0.5rem 1rem; border-radius: 4px; text-decoration: none; }
button.secondary { background: transparent; color: var(--fg); border: 1px solid var(--muted); }
button.danger { background: transparent; color: var(--error); border: 1px solid var(--error); }
.banner { border-top: 4px solid var(--brand, var(--accent)); }
.banner img { max-height: 2rem; max-width: 10rem; }
.portal-title { font-weight: 700; }
.ended { max-width: 40rem; }
form.inline { display: inline; }
.fields { display: grid; gap: 0.75rem; max-width: 40rem; margin-bottom: 1rem; }
.fields div { display: flex; flex-direction: column; gap: 0.25rem; }
.fields input[type="checkbox"] { align-self: flex-start; }
.hint { color: var(--muted); font-size: 0.9em; }
/* The endpoint options' forms (dashboard and portal): wide enough for JSON. */
form.opts { display: flex; flex-direction: column; gap: 0.5rem; max-width: 40rem; margin: 0 0 1.5rem; }
form.opts textarea { font-family: ui-monospace, monospace; }
form.opts .hint { margin: 0; }
form.opts button { align-self: flex-start; }
.opts-pre { white-space: pre-wrap; word-break: break-all; margin: 0; }
.secret { word-break: break-all; }
.catalog > section { border-top: 1px solid var(--line); padding-top: 1rem; margin-top: 1rem; }
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-end; margin: 1rem 0; }
.actions div { display: flex; flex-direction: column; gap: 0.25rem; }
.notice { border: 1px solid var(--line); background: var(--panel); padding: 0.75rem 1rem; border-radius: 4px; }
`;

/**
 * A served file's name with a hash of its content: they are cached as immutable, and the
 * portal's stylesheet includes the dashboard's, which changes on its own schedule.
 */
function versioned(base: string, ext: string, content: string): string {
  return `/portal/assets/${base}-${fnv1a(content).toString(36)}.${ext}`;
}

export const PORTAL_STYLE_PATH = versioned("portal", "css", PORTAL_STYLESHEET);

/**
 * Reads `#code=...`, clears it from the address bar before anything else, trades it for the
 * session cookie, then opens the endpoints. Without a code it just goes there (a live cookie
 * opens the page, none shows that the session ended).
 */
export const PORTAL_SCRIPT = `(function () {
  var match = /^#code=([A-Za-z0-9_-]{16,128})$/.exec(location.hash);
  var status = document.getElementById("status");
  if (!match) { location.replace("/portal/endpoints"); return; }
  history.replaceState(null, "", location.pathname);
  status.textContent = "Opening your session…";
  fetch("/portal/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: match[1] })
  }).then(function (res) {
    if (res.ok) { location.replace("/portal/endpoints"); return; }
    status.textContent = "This link has already been used or has expired. Ask for a new link.";
  }, function () {
    status.textContent = "The session could not be opened. Check your connection and ask for a new link.";
  });
})();
`;

export const PORTAL_SCRIPT_PATH = versioned("open", "js", PORTAL_SCRIPT);

/** The Copy buttons of code blocks (the dashboard's script), served under the portal's path. */
export const PORTAL_ENHANCE_PATH = versioned("enhance", "js", ENHANCE_JS);
