import { ENDPOINTS_STYLE } from "./dashboard/endpoints-style";
import { MESSAGES_STYLE } from "./dashboard/messages-style";

/**
 * The dashboard's stylesheet, served as a static file (`STYLE_PATH`) so that the
 * Content-Security-Policy allows styles from the Worker's own origin only. Colours pass WCAG AA
 * contrast in both themes.
 */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1a1a1a; --muted: #4a4a4a; --line: #d0d0d0;
  --accent: #0b57d0; --accent-fg: #ffffff; --error: #b3261e; --panel: #f4f6f8;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121417; --fg: #eceff1; --muted: #b8bec4; --line: #3a3f45;
    --accent: #8ab4f8; --accent-fg: #0b1a33; --error: #f2b8b5; --panel: #1c1f24;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
textarea:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px;
}
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: 0.5rem; }
.banner {
  display: flex; align-items: center; gap: 1.5rem; padding: 0.75rem 1.5rem;
  border-bottom: 1px solid var(--line); background: var(--panel);
}
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
.banner nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
.sign-out { margin-left: auto; }
main { padding: 1.5rem; max-width: 72rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
.stack { display: flex; flex-direction: column; gap: 0.5rem; max-width: 24rem; }
input, select, textarea {
  font: inherit; padding: 0.5rem; border: 1px solid var(--muted); border-radius: 4px;
  background: var(--bg); color: var(--fg);
}
button {
  font: inherit; padding: 0.5rem 1rem; border: 0; border-radius: 4px; cursor: pointer;
  background: var(--accent); color: var(--accent-fg);
}
.error { color: var(--error); font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: 0.5rem; }
th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--line); }
code { font-family: ui-monospace, monospace; font-size: 0.9em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1.5rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.crumbs { margin-bottom: 0.5rem; color: var(--muted); }
.tabs ul { display: flex; gap: 0.25rem; list-style: none; margin: 0 0 1.25rem; padding: 0;
  border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.tabs a { display: block; padding: 0.5rem 0.9rem; text-decoration: none; border-radius: 4px 4px 0 0; }
.tabs a[aria-current="page"] { background: var(--panel); color: var(--fg); font-weight: 600;
  border: 1px solid var(--line); border-bottom-color: var(--panel); margin-bottom: -1px; }
${MESSAGES_STYLE}${ENDPOINTS_STYLE}`;
