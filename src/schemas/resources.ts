import { z } from "@hono/zod-openapi";
import { Batch } from "./batch";
import { EVENT_FILTER_PATTERN, EventTypeName, idParam, Timestamp } from "./common";
import { PayloadFilter } from "./filters";
import { CeSource, Format } from "./formats";
import { PortalOrigins } from "./portal";
import { Transform } from "./transform";

const Name = z.string().trim().min(1).max(200);

// ---- apps -------------------------------------------------------------------------------
export const AppCreate = z
  .object({
    name: Name,
    uid: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    ingestRateLimit: z.number().int().min(1).max(100_000).optional().openapi({
      description: "Messages per second this app may send; more answer 429. Unset = unlimited.",
    }),
    maxEndpoints: z.number().int().min(1).max(50_000).optional().openapi({
      description:
        "Most endpoints this app may have (creating one more answers 422). Unset: the deployment's MAX_ENDPOINTS.",
    }),
    shard: z.number().int().min(0).max(63).optional().openapi({
      description:
        "Pins the app to this D1 shard (0 = DB, k = DB_k). Unset: placed by a hash of its id.",
    }),
    portalOrigins: PortalOrigins.optional(),
    ceSource: CeSource.optional(),
  })
  .strict();
export const AppUpdate = z
  .object({
    name: Name.optional(),
    uid: AppCreate.shape.uid.nullable().optional(),
    ingestRateLimit: AppCreate.shape.ingestRateLimit.unwrap().nullable().optional(),
    maxEndpoints: AppCreate.shape.maxEndpoints.unwrap().nullable().optional(),
    portalOrigins: PortalOrigins.nullable().optional(),
    ceSource: CeSource.nullable().optional(),
  })
  .strict();
export const App = z
  .object({
    id: z.string(),
    name: z.string(),
    uid: z.string().optional(),
    ingestRateLimit: z.number().int().optional(),
    maxEndpoints: z.number().int().optional(),
    portalOrigins: z.array(z.string()).optional(),
    ceSource: z.string().optional().openapi({
      description: 'The CloudEvents "source" of its events. Unset: "/hooklane/{appId}".',
    }),
    shard: z.number().int().openapi({ description: "The D1 shard holding the app's data." }),
    createdAt: Timestamp,
  })
  .openapi("App");

// ---- api keys -----------------------------------------------------------------------------
export const ApiKeyCreate = z.object({ name: Name.optional() }).strict();
export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    token: z.string().optional().openapi({ description: "Shown once, on create." }),
    createdAt: Timestamp,
  })
  .openapi("ApiKey");
export const KeyParams = z.object({
  appId: idParam("app").openapi({ param: { name: "appId", in: "path" } }),
  keyId: idParam("key").openapi({ param: { name: "keyId", in: "path" } }),
});

// ---- event types --------------------------------------------------------------------------
const JsonSchema = z.record(z.string(), z.unknown()).openapi({
  description:
    "A JSON Schema (draft 2020-12). When set, ingest refuses payloads of this event type that do not match it (422, naming each field).",
});
export const EventTypeCreate = z
  .object({
    name: EventTypeName,
    description: z.string().max(1000).optional(),
    schema: JsonSchema.optional(),
  })
  .strict();
export const EventTypeUpdate = z
  .object({
    description: z.string().max(1000).nullable().optional(),
    schema: JsonSchema.nullable().optional(),
  })
  .strict();
export const EventType = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    schema: JsonSchema.optional(),
    createdAt: Timestamp,
  })
  .openapi("EventType");
export const EventTypeParams = z.object({
  appId: idParam("app").openapi({ param: { name: "appId", in: "path" } }),
  name: EventTypeName.openapi({ param: { name: "name", in: "path" } }),
});

// ---- auth profiles ------------------------------------------------------------------------
export const AUTH_TYPES = ["hmac-sha256", "ed25519", "bearer"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/** `whsec_` + base64 of 24 to 64 bytes. */
export const HmacSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, "whsec_ followed by base64 of 24 to 64 bytes");
const BearerToken = z
  .string()
  .min(16)
  .max(512)
  .regex(/^[\x21-\x7e]+$/, "visible ASCII, no spaces");

export const AuthProfileCreate = z
  .object({
    type: z.enum(AUTH_TYPES).default("hmac-sha256"),
    name: Name.optional(),
    secret: z.string().max(512).optional().openapi({
      description:
        "hmac-sha256: a whsec_ secret to import; bearer: the token. Generated when absent.",
    }),
  })
  .strict();
export const AuthProfileUpdate = z.object({ name: Name.nullable().optional() }).strict();
export const AuthProfileRotate = z
  .object({
    secret: z.string().max(512).optional(),
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86400)
      .default(86400),
  })
  .strict();
export const AuthProfile = z
  .object({
    id: z.string(),
    type: z.enum(AUTH_TYPES),
    name: z.string().optional(),
    publicKey: z
      .string()
      .optional()
      .openapi({ description: "ed25519 only: verify v1a signatures with it." }),
    secret: z.string().optional().openapi({ description: "Only on create, rotate and reveal." }),
    createdAt: Timestamp,
  })
  .openapi("AuthProfile");
export const AuthProfileParams = z.object({
  appId: idParam("app").openapi({ param: { name: "appId", in: "path" } }),
  profileId: idParam("ap").openapi({ param: { name: "profileId", in: "path" } }),
});

/** Validates a caller-supplied secret for a profile type; returns a problem detail or null. */
export function secretProblem(type: AuthType, secret: string): string | null {
  if (type === "hmac-sha256")
    return HmacSecret.safeParse(secret).success
      ? null
      : "must be whsec_ followed by base64 of 24 to 64 bytes";
  if (type === "bearer")
    return BearerToken.safeParse(secret).success
      ? null
      : "must be 16 to 512 visible ASCII characters";
  return "ed25519 keys are always generated";
}

// ---- endpoints ----------------------------------------------------------------------------
const EventFilter = z
  .string()
  .min(1)
  .max(130)
  .regex(EVENT_FILTER_PATTERN, "an event type name or a `prefix.*` wildcard");
const Headers = z
  .record(z.string().max(256), z.string().max(8192))
  .openapi({ example: { "x-tenant": "acme" } });

export const EndpointCreate = z
  .object({
    url: z.string().min(1).max(2048),
    description: z.string().max(1000).optional(),
    eventTypes: z.array(EventFilter).max(100).default([]),
    filter: PayloadFilter.optional(),
    authProfileId: idParam("ap").optional(),
    headers: Headers.optional(),
    rateLimit: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .openapi({ description: "Requests per second; unset = unlimited." }),
    maxConcurrency: z.number().int().min(1).max(1000).optional(),
    successRule: z.enum(["2xx", "200"]).default("2xx"),
    ordering: z.enum(["none", "fifo"]).default("none"),
    format: Format.default("standard-webhooks"),
    transform: Transform.optional(),
    batch: Batch.optional(),
    disabled: z.boolean().default(false),
  })
  .strict();
export const EndpointUpdate = z
  .object({
    url: EndpointCreate.shape.url.optional(),
    description: z.string().max(1000).nullable().optional(),
    eventTypes: z.array(EventFilter).max(100).optional(),
    filter: PayloadFilter.nullable().optional(),
    authProfileId: idParam("ap").optional(),
    headers: Headers.nullable().optional(),
    rateLimit: z.number().int().min(1).max(10_000).nullable().optional(),
    maxConcurrency: z.number().int().min(1).max(1000).nullable().optional(),
    successRule: z.enum(["2xx", "200"]).optional(),
    ordering: z.enum(["none", "fifo"]).optional(),
    format: Format.optional(),
    transform: Transform.nullable().optional(),
    batch: Batch.nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export const Endpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().optional(),
    eventTypes: z.array(z.string()),
    filter: PayloadFilter.optional(),
    authProfileId: z.string(),
    headers: Headers.optional(),
    rateLimit: z.number().optional(),
    maxConcurrency: z.number().optional(),
    successRule: z.enum(["2xx", "200"]),
    ordering: z.enum(["none", "fifo"]),
    format: Format,
    transform: z.string().optional(),
    batch: Batch.optional(),
    disabled: z.boolean(),
    disabledReason: z.string().optional(),
    disabledAt: Timestamp.optional(),
    secret: z
      .string()
      .optional()
      .openapi({ description: "Only on create, when a private profile was made." }),
    createdAt: Timestamp,
  })
  .openapi("Endpoint");
export const EndpointParams = z.object({
  appId: idParam("app").openapi({ param: { name: "appId", in: "path" } }),
  endpointId: idParam("ep").openapi({ param: { name: "endpointId", in: "path" } }),
});
