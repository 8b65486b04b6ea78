import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common";

/** What a portal session may do, in the order the docs list them. */
export const PORTAL_CAPABILITIES = [
  "view",
  "manage-endpoints",
  "view-secrets",
  "rotate-secrets",
  "replay",
] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

/** Session lifetime bounds, in seconds: one hour to seven days. */
export const PORTAL_TTL_MIN_S = 3600;
export const PORTAL_TTL_MAX_S = 7 * 86400;
export const PORTAL_TTL_DEFAULT_S = 3600;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A web origin a portal may be framed by: `https://host[:port]`, or plain http on loopback (local
 * development). Its normalised form, or null when it is not one. Only what `URL.origin` prints
 * can reach the Content-Security-Policy, so no value can add a directive of its own.
 */
export function normaliseOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username || url.password || url.search || url.hash) return null;
  // "https://a.example" and "https://a.example/" are the origin; any other path is not.
  if (url.pathname !== "/") return null;
  const secure = url.protocol === "https:";
  const local = url.protocol === "http:" && LOOPBACK.has(url.hostname);
  return secure || local ? url.origin : null;
}

/** The app setting: origins that may frame its portal (at most 20). */
export const PortalOrigins = z
  .array(
    z
      .string()
      .max(256)
      .refine((s) => normaliseOrigin(s) !== null, {
        message: "an origin: https://host[:port] (http only on loopback), no path",
      }),
  )
  .max(20)
  .openapi({
    description:
      "Origins that may show this app's consumer portal in an iframe (`frame-ancestors`). Empty or unset: none may.",
    example: ["https://app.example.com"],
  });

function isHttpsUrl(text: string): boolean {
  try {
    return new URL(text).protocol === "https:";
  } catch {
    return false;
  }
}

export const PortalTheme = z
  .object({
    accent: z
      .string()
      .regex(/^#[0-9A-Fa-f]{6}$/, "#rrggbb")
      .optional()
      .openapi({
        description: "Buttons and highlights; their text colour is chosen for contrast.",
      }),
    logoUrl: z.string().max(2048).refine(isHttpsUrl, { message: "an https URL" }).optional(),
    mode: z.enum(["light", "dark", "auto"]).optional().openapi({
      description: "auto (default) follows the viewer's system setting.",
    }),
  })
  .strict()
  .openapi("PortalTheme");
export type PortalThemeValue = z.infer<typeof PortalTheme>;

export const PortalSessionCreate = z
  .object({
    capabilities: z
      .array(z.enum(PORTAL_CAPABILITIES))
      .min(1)
      .max(PORTAL_CAPABILITIES.length)
      .refine((a) => new Set(a).size === a.length, { message: "each capability once" })
      .refine((a) => a.includes("view"), {
        message: "must include view (every portal page shows the app's data)",
      })
      .optional()
      .openapi({
        description:
          'What the session may do. Default: all five (the portal is self-service); narrow it, e.g. ["view"] for read-only. `view` is always required.',
      }),
    expiresIn: z
      .number()
      .int()
      .min(PORTAL_TTL_MIN_S)
      .max(PORTAL_TTL_MAX_S)
      .optional()
      .openapi({ description: "Seconds, 3600 to 604800; default 3600." }),
    theme: PortalTheme.optional(),
  })
  .strict();

export const PortalSession = z
  .object({
    url: z.string().openapi({
      description:
        "Open this (or frame it); the one-time code is in the fragment, never sent to a server, and works once.",
    }),
    expiresAt: Timestamp,
    sessionId: z.string(),
  })
  .openapi("PortalSession");

/** The `portal_origins` column for a validated list: normalised, each once; NULL when empty. */
export function portalOriginsColumn(list: readonly string[] | null | undefined): string | null {
  const origins = [
    ...new Set((list ?? []).map(normaliseOrigin).filter((o): o is string => o !== null)),
  ];
  return origins.length > 0 ? JSON.stringify(origins) : null;
}

/** The column back as a list (empty when NULL or unreadable). */
export function portalOriginsOf(column: string | null): string[] {
  if (!column) return [];
  try {
    const parsed: unknown = JSON.parse(column);
    return Array.isArray(parsed) ? parsed.filter((o): o is string => typeof o === "string") : [];
  } catch {
    return [];
  }
}
