/**
 * The portal's look per session: an accent colour with a text colour chosen for contrast, and
 * light, dark or the viewer's own mode. Pure functions; the CSS they make is served as a file
 * (`/portal/theme.css?accent=rrggbb`), so the Content-Security-Policy needs no inline style.
 */

/** WCAG 2 relative luminance of a `#rrggbb` colour (0 black to 1 white). */
export function relativeLuminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r = 0, g = 0, b = 0] = channels.map((c) =>
    c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4,
  );
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
}

/**
 * The text colour for an accent background: black or white, whichever contrasts more. One of
 * the two always reaches at least 4.58:1, above AA's 4.5:1 for normal text, whatever the accent.
 */
export function foregroundFor(accent: string): "#000000" | "#ffffff" {
  return contrastRatio(accent, "#000000") >= contrastRatio(accent, "#ffffff")
    ? "#000000"
    : "#ffffff";
}

/** A `#rrggbb` accent from a theme or query value, lower-cased; null when it is not one. */
export function parseAccent(value: string | undefined | null): string | null {
  if (!value) return null;
  const hex = value.startsWith("#") ? value.slice(1) : value;
  return /^[0-9A-Fa-f]{6}$/.test(hex) ? `#${hex.toLowerCase()}` : null;
}

/**
 * The per-session stylesheet: the accent for buttons and the banner's edge, and its text
 * colour. Links keep the base palette, whose contrast with the page is known.
 */
export function themeCss(accent: string): string {
  const fg = foregroundFor(accent);
  return `:root, :root.mode-light, :root.mode-dark { --brand: ${accent}; --brand-fg: ${fg}; }\n`;
}
