/**
 * The portal's Content-Security-Policy. Its one script and its stylesheets are files of this
 * origin; images may also come from the session's logo origin; `frame-ancestors` names the
 * origins the app listed, or `'none'`.
 */
export function portalCsp(opts: { frameOrigins?: string[]; logoUrl?: string }): string {
  const img = ["'self'"];
  if (opts.logoUrl) {
    try {
      const origin = new URL(opts.logoUrl).origin;
      if (origin.startsWith("https://")) img.push(origin);
    } catch {
      // A stored theme was validated; an unreadable one just shows no logo origin.
    }
  }
  // Without a session (the landing page, "session ended") nothing is shown that framing could
  // abuse, and the landing page must load inside the embedding site's iframe to trade its code.
  const ancestors =
    opts.frameOrigins === undefined
      ? "*"
      : opts.frameOrigins.length > 0
        ? opts.frameOrigins.join(" ")
        : "'none'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${img.join(" ")}`,
    "connect-src 'self'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
    "base-uri 'none'",
  ].join("; ");
}
