/**
 * Styles of the messages, message, dead-letter and audit pages (and the shared message view).
 * Colours pass WCAG AA on both themes' backgrounds and panels: they use the theme's variables,
 * plus badge pairs checked in each theme.
 */
export const MESSAGES_STYLE = `
:root { --ok: #146c2e; --warn: #7a4d00; --badge-bg: #eef1f4; }
@media (prefers-color-scheme: dark) {
  :root { --ok: #8fd9a0; --warn: #f0c36b; --badge-bg: #262a30; }
}
.muted { color: var(--muted); }
.note { color: var(--muted); font-size: 0.95em; }
.ok { color: var(--ok); font-weight: 600; }
.filters { display: flex; flex-wrap: wrap; gap: 0.75rem 1rem; align-items: flex-end; margin-bottom: 1rem; }
.filters div { display: flex; flex-direction: column; gap: 0.25rem; }
select {
  font: inherit; padding: 0.5rem; border: 1px solid var(--muted); border-radius: 4px;
  background: var(--bg); color: var(--fg);
}
select:focus-visible, summary:focus-visible, pre:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px;
}
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.9em;
  background: var(--badge-bg); border: 1px solid var(--line); color: var(--fg); }
.badge-succeeded { color: var(--ok); }
.badge-failed, .badge-dead { color: var(--error); }
.badge-pending { color: var(--warn); }
.pager { display: flex; gap: 1.5rem; margin: 1rem 0; }
.code { position: relative; }
.code pre { background: var(--panel); border: 1px solid var(--line); border-radius: 4px;
  padding: 0.75rem; overflow: auto; max-height: 28rem; white-space: pre; }
.code .copy { position: absolute; top: 0.4rem; right: 0.4rem; padding: 0.2rem 0.6rem; font-size: 0.85em; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; color: var(--accent); }
.timeline { list-style: none; padding: 0; margin: 0; }
.timeline .attempt { border-left: 3px solid var(--line); padding: 0 0 1rem 1rem; margin-bottom: 1rem; }
.timeline h3 { font-size: 1.1rem; margin: 0 0 0.5rem; }
.timeline h4 { font-size: 1rem; margin: 0.75rem 0 0.25rem; }
table.headers th, table.headers td { padding: 0.25rem 0.5rem; vertical-align: top; }
table.headers code { word-break: break-all; }
.inline { display: inline; }
.notice { border-left: 4px solid var(--ok); padding: 0.5rem 0.75rem; background: var(--panel); }
code.detail { word-break: break-all; }
.confirm { border: 1px solid var(--line); background: var(--panel); border-radius: 4px; padding: 1rem; margin: 1rem 0; }
progress { width: 100%; max-width: 32rem; height: 1.25rem; }
`;
