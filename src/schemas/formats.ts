import { z } from "@hono/zod-openapi";

/** How an endpoint's requests are shaped; every format is signed the same way. */
export const DELIVERY_FORMATS = ["standard-webhooks", "cloudevents", "cloudevents-binary"] as const;
export type DeliveryFormat = (typeof DELIVERY_FORMATS)[number];

export const Format = z.enum(DELIVERY_FORMATS).openapi({
  description:
    'Request shape. "standard-webhooks": body {"type","timestamp","data"}. "cloudevents": CloudEvents 1.0 structured mode (content-type application/cloudevents+json, the event as the body, the payload in "data"). "cloudevents-binary": the payload as the body, the attributes in ce-specversion, ce-id, ce-type, ce-source and ce-time headers. Every format carries the same webhook-id, webhook-timestamp and webhook-signature over the exact body sent.',
});

// RFC 3986 characters of a URI-reference, without `%`: the value goes into a `ce-source` header
// verbatim, where a receiver would percent-decode an escape and read another source.
const URI_REFERENCE_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]+$/;

/** Whether `value` parses as a URI-reference (absolute, or relative to some base). */
function parsesAsUriReference(value: string): boolean {
  try {
    new URL(value, "https://base.invalid/");
    return true;
  } catch {
    return false;
  }
}

export const CeSource = z
  .string()
  .min(1)
  .max(512)
  .regex(
    URI_REFERENCE_CHARS,
    "a URI-reference: RFC 3986 characters only, no spaces and no percent-escapes",
  )
  .refine(parsesAsUriReference, "must be a URI-reference")
  .openapi({
    description:
      'The CloudEvents "source" of this app\'s events (a URI-reference, e.g. "https://example.com/billing" or "/billing"), for endpoints with a cloudevents format. Unset: "/hooklane/{appId}".',
    example: "https://example.com/billing",
  });

/** The CloudEvents source of an app's events: its own setting, or `/hooklane/{appId}`. */
export function ceSourceOf(appId: string, ceSource: string | null | undefined): string {
  return ceSource ?? `/hooklane/${appId}`;
}
