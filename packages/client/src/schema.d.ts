/**
 * Generated from docs/openapi.json by openapi-typescript: do not edit by hand.
 * Rebuild with `npm run client:generate`; `npm run lint:openapi` fails when it is stale.
 */

export interface paths {
    "/v1/apps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List apps */
        get: operations["listApps"];
        put?: never;
        /** Create an app (tenant) */
        post: operations["createApp"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get an app */
        get: operations["getApp"];
        put?: never;
        post?: never;
        /** Delete an app and everything in it */
        delete: operations["deleteApp"];
        options?: never;
        head?: never;
        /** Update an app */
        patch: operations["updateApp"];
        trace?: never;
    };
    "/v1/apps/{appId}/move": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where an app lives, and how far its move got */
        get: operations["getAppMove"];
        put?: never;
        /**
         * Move an app to another shard, with its history
         * @description Answers 202 at once; the sweeper copies the app after a fence and then switches it over. Meanwhile ingest and changes to the app answer 503 with Retry-After, deliveries wait, and reads are served from the old shard.
         */
        post: operations["moveApp"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List an app's API keys (never their tokens) */
        get: operations["listApiKeys"];
        put?: never;
        /** Create an API key for an app (the token is shown once) */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/api-keys/{keyId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key */
        delete: operations["deleteApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/event-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List event types by name */
        get: operations["listEventTypes"];
        put?: never;
        /** Create an event type */
        post: operations["createEventType"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/event-types/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get an event type */
        get: operations["getEventType"];
        put?: never;
        post?: never;
        /** Delete an event type */
        delete: operations["deleteEventType"];
        options?: never;
        head?: never;
        /** Update an event type */
        patch: operations["updateEventType"];
        trace?: never;
    };
    "/v1/apps/{appId}/auth-profiles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List auth profiles (never their secrets) */
        get: operations["listAuthProfiles"];
        put?: never;
        /** Create an auth profile (the secret is returned once) */
        post: operations["createAuthProfile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/auth-profiles/{profileId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get an auth profile (no secret) */
        get: operations["getAuthProfile"];
        put?: never;
        post?: never;
        /** Delete an auth profile no endpoint uses */
        delete: operations["deleteAuthProfile"];
        options?: never;
        head?: never;
        /** Rename an auth profile */
        patch: operations["updateAuthProfile"];
        trace?: never;
    };
    "/v1/apps/{appId}/auth-profiles/{profileId}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rotate the secret; the old one keeps signing for the grace period */
        post: operations["rotateAuthProfileSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/auth-profiles/{profileId}/reveal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reveal the current secret */
        post: operations["revealAuthProfileSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List endpoints */
        get: operations["listEndpoints"];
        put?: never;
        /** Create an endpoint (makes a private hmac-sha256 profile when none is given) */
        post: operations["createEndpoint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get an endpoint */
        get: operations["getEndpoint"];
        put?: never;
        post?: never;
        /** Delete an endpoint; its undelivered deliveries are cancelled */
        delete: operations["deleteEndpoint"];
        options?: never;
        head?: never;
        /** Update an endpoint (disabled: false re-enables it) */
        patch: operations["updateEndpoint"];
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}/recover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Re-send every failed or dead delivery of an endpoint since a time */
        post: operations["recoverEndpoint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Breaker state, rate-limit tokens, in-flight, success rate and latency, backlog */
        get: operations["getEndpointHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a test event to this endpoint only
         * @description Accepts a message whose fan-out names only this endpoint, whatever its event-type filters, and answers as message ingest does (202, the message with its one delivery). The event type's JSON Schema, if any, applies to the payload; the app's ingest rate limit counts it. A disabled endpoint answers 409.
         */
        post: operations["sendTestEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}/filter/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Test a payload against the endpoint's payload filter (or a filter to try)
         * @description Answers whether ingest would deliver a message with this payload to this endpoint as far as its payload filter goes (event types aside). With `filter`, that filter is tried instead of the saved one, and refused with 422 as an endpoint update would refuse it. An endpoint without a filter matches every payload. Nothing is stored or sent.
         */
        post: operations["testEndpointFilter"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An endpoint's deliveries, success rate and p95 latency over 24 h or 7 d */
        get: operations["getEndpointStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * An app's deliveries, success rate and p95 latency over 24 h or 7 d, per endpoint too
         * @description Merges the histograms of the app's newest 50 endpoints (bucket by bucket, so the p95 is the app's own, not an average); `endpoints.more` says when the app has more.
         */
        get: operations["getAppStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search messages, newest first, with each endpoint's delivery status
         * @description A time range (`after`, `before`) seeks on message ids. `eventType`, `endpointId` and `status` have no index: a page reads at most 500 messages (and, by status, the histories of at most about 5,000 deliveries), and when that leaves it short it answers what matched with `scanned` and a `nextCursor` to continue. Nothing counts all messages.
         */
        get: operations["listMessages"];
        put?: never;
        /**
         * Send a message: durable in D1 before the 202, then fanned out to matching endpoints
         * @description The same `Idempotency-Key` header (or, without one, the same `eventId`) in one app answers the first message again, with header `idempotent-replayed: true`, and never creates a second.
         */
        post: operations["sendMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/messages/{messageId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a message with each endpoint's delivery status
         * @description A message past D1_RETENTION_DAYS is read from the R2 archive while it holds it (ARCHIVE_RETENTION_DAYS): the same shape with `archived: true` and the header `hooklane-archived: true`, its deliveries as they were when it was archived.
         */
        get: operations["getMessage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/messages/{messageId}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every attempt made for a message, newest first */
        get: operations["listMessageAttempts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every attempt made to an endpoint, newest first */
        get: operations["listEndpointAttempts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/messages/{messageId}/attempts/{attemptId}/request": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The request an attempt sent: body, headers and signature, rebuilt on read
         * @description Sent headers are not stored (they would cost bytes per delivery). `webhook-timestamp` is the attempt's start second, which the log keeps exactly; `webhook-signature` is recomputed with the secrets of the endpoint's auth profile valid at that moment; bearer tokens are redacted. `notes` say when the endpoint or its profile changed after the attempt. Messages in D1 only (not the archive).
         */
        get: operations["getAttemptRequest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/archive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the app's archived hours, oldest first
         * @description Messages leave D1 after D1_RETENTION_DAYS for the R2 archive, one object per app and hour of their creation (UTC), and are deleted from it after ARCHIVE_RETENTION_DAYS. Each archived message can still be read by id (`GET .../messages/{messageId}`, marked `archived: true`). 404 when the deployment has no archive bucket.
         */
        get: operations["listArchiveHours"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/archive/{hour}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The messages of one archived hour, oldest first
         * @description Each as `GET .../messages/{messageId}` shows it, with `archived: true`: the payload as sent and each delivery's status when the message left D1.
         */
        get: operations["getArchiveHour"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Deliveries that ended dead, with their reason; filter by endpoint and time */
        get: operations["listDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/dead-letters/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replay dead letters in bulk (by endpoint and time, at most `limit` per call) */
        post: operations["replayDeadLetters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/dead-letters/{deliveryId}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replay one dead letter: a fresh attempt series with the same webhook-id */
        post: operations["replayDeadLetter"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/dead-letters/count": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How many dead letters match a filter, counting up to 1000 ("at least" beyond) */
        get: operations["countDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/dead-letters/replays/{replayId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A bulk replay's progress: its deliveries pending, retrying, succeeded, dead again
         * @description Kept for a day after the replay.
         */
        get: operations["getReplay"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every management change in an app (who, what, when), newest first
         * @description The operator (admin token) can still read the trail of an app that was deleted; it says who deleted it.
         */
        get: operations["listAuditEntries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/operator-events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What Hooklane did on its own in an app (endpoint.disabled), newest first
         * @description Endpoints disabled by a 410 Gone or by auto-disable, with the reason. The same events go to OPERATOR_APP_ID as messages when it is set.
         */
        get: operations["listOperatorEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/portal-sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Open a consumer portal session (a one-time link for your customer)
         * @description The answer's `url` carries a one-time code in its fragment: the portal trades it for a cookie session and clears it from the address bar. Capabilities default to all five; the session ends at `expiresAt` or when the app's sessions are revoked.
         */
        post: operations["createPortalSession"];
        /** Revoke every portal session of the app (open pages show that the session ended) */
        delete: operations["revokePortalSessions"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/apps/{appId}/endpoints/{endpointId}/transform/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Preview what a transform would send for a sample payload
         * @description Builds the body the endpoint's format would send for `payload` (as a message of `eventType` created now), applies `transform` or else the endpoint's saved transform, and answers the URL, body and added headers that would go out. Nothing is sent or saved. A transform that fails on this payload answers 422 naming `transform` with its error, as a delivery would record it.
         */
        post: operations["previewEndpointTransform"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        App: {
            id: string;
            name: string;
            uid?: string;
            ingestRateLimit?: number;
            maxEndpoints?: number;
            portalOrigins?: string[];
            /** @description The CloudEvents "source" of its events. Unset: "/hooklane/{appId}". */
            ceSource?: string;
            /** @description The D1 shard holding the app's data. */
            shard: number;
            /** @example 2026-11-23T12:00:00.000Z */
            createdAt: string;
        };
        Problem: {
            type: string;
            title: string;
            status: number;
            detail?: string;
            instance?: string;
            errors?: {
                field: string;
                detail: string;
            }[];
        };
        MoveStatus: {
            appId: string;
            /** @description Where the app's data is read from now. */
            shard: number;
            moving: boolean;
            to?: number;
            /**
             * @description fencing: every isolate learns of the move and work in flight finishes; copying: rows are copied table by table.
             * @enum {string}
             */
            state?: "fencing" | "copying";
            since?: string;
            copyStartsAt?: string;
            /** @description The table being copied. */
            table?: string;
            rowsCopied?: number;
        };
        ApiKey: {
            id: string;
            name?: string;
            /** @description Shown once, on create. */
            token?: string;
            /** @example 2026-11-23T12:00:00.000Z */
            createdAt: string;
        };
        EventType: {
            name: string;
            description?: string;
            /** @description A JSON Schema (draft 2020-12). When set, ingest refuses payloads of this event type that do not match it (422, naming each field). */
            schema?: {
                [key: string]: unknown;
            };
            /** @example 2026-11-23T12:00:00.000Z */
            createdAt: string;
        };
        AuthProfile: {
            id: string;
            /** @enum {string} */
            type: "hmac-sha256" | "ed25519" | "bearer";
            name?: string;
            /** @description ed25519 only: verify v1a signatures with it. */
            publicKey?: string;
            /** @description Only on create, rotate and reveal. */
            secret?: string;
            /** @example 2026-11-23T12:00:00.000Z */
            createdAt: string;
        };
        Endpoint: {
            id: string;
            url: string;
            description?: string;
            eventTypes: string[];
            /**
             * @description A MongoDB-style query over the payload, evaluated at ingest: a message that does not match creates no delivery for this endpoint (its detail lists the endpoint under `filtered`). Keys are dotted paths (`customer.tier`, `items.0.sku`); a bare value means equality; operators `$eq $ne $in $nin $gt $gte $lt $lte $exists $regex` (with `$options`: i, m, s), combined with `$and`, `$or` and `$not`. Numbers compare exactly, big integers included. At most 8 levels deep, 256 values, 100 values per `$in`, 4 `$regex`; patterns are refused when they could backtrack badly. See the README, "Payload filters".
             * @example {
             *       "customer.tier": {
             *         "$in": [
             *           "gold"
             *         ]
             *       },
             *       "amount": {
             *         "$gte": 100
             *       }
             *     }
             */
            filter?: {
                [key: string]: unknown;
            };
            authProfileId: string;
            /**
             * @example {
             *       "x-tenant": "acme"
             *     }
             */
            headers?: {
                [key: string]: string;
            };
            rateLimit?: number;
            maxConcurrency?: number;
            /** @enum {string} */
            successRule: "200" | "2xx";
            /** @enum {string} */
            ordering: "none" | "fifo";
            /**
             * @description Request shape. "standard-webhooks": body {"type","timestamp","data"}. "cloudevents": CloudEvents 1.0 structured mode (content-type application/cloudevents+json, the event as the body, the payload in "data"). "cloudevents-binary": the payload as the body, the attributes in ce-specversion, ce-id, ce-type, ce-source and ce-time headers. Every format carries the same webhook-id, webhook-timestamp and webhook-signature over the exact body sent.
             * @enum {string}
             */
            format: "standard-webhooks" | "cloudevents" | "cloudevents-binary";
            transform?: string;
            batch?: components["schemas"]["Batch"];
            disabled: boolean;
            disabledReason?: string;
            /** @example 2026-11-23T12:00:00.000Z */
            disabledAt?: string;
            /** @description Only on create, when a private profile was made. */
            secret?: string;
            /** @example 2026-11-23T12:00:00.000Z */
            createdAt: string;
        };
        /**
         * @description Send up to maxEvents deliveries in one request: a JSON array of the format's envelopes, each with its message id, signed as a whole under the batch's own webhook-id. A batch goes once it is full or its oldest delivery has waited maxWaitMs. Formats standard-webhooks and cloudevents (as application/cloudevents-batch+json) only; not with a transform. Unset: one delivery per request.
         * @example {
         *       "maxEvents": 50,
         *       "maxWaitMs": 1000
         *     }
         */
        Batch: {
            maxEvents: number;
            maxWaitMs: number;
        };
        Restarted: {
            restarted: number;
            /** @description More matched than were restarted. */
            more: boolean;
        };
        EndpointHealth: {
            /** @enum {string} */
            breaker: "closed" | "open" | "half-open";
            consecutiveFailures: number;
            nextProbeAt: string | null;
            pausedUntil: string | null;
            /** @description Requests the pacer could still grant now (looking 2 s ahead); null = no rate limit. */
            tokens: number | null;
            inFlight: number;
            lastHour: {
                requests: number;
                successRate: number | null;
                p50Ms: number | null;
                p95Ms: number | null;
            };
            lastDay: {
                requests: number;
                successRate: number | null;
                p50Ms: number | null;
                p95Ms: number | null;
            };
            lastSuccessAt: string | null;
            /** @description Deliveries not finished yet. */
            waiting: number;
            disabled: boolean;
        };
        Message: {
            id: string;
            eventType: string;
            payload?: {
                [key: string]: unknown;
            };
            eventId?: string;
            /** @example 2026-11-23T12:00:00.000Z */
            createdAt: string;
            deliveries: components["schemas"]["DeliverySummary"][];
            /** @description Endpoints that take this event type but whose payload filter refused this message: no delivery was made for them. Absent when none. */
            filtered?: string[];
            /** @description Present (true) when the message was read from the R2 archive: it left D1 after D1_RETENTION_DAYS, and its deliveries are as they were then. The answer also carries the header `hooklane-archived: true`. */
            archived?: boolean;
        };
        DeliverySummary: {
            id: string;
            endpointId: string;
            /** @enum {string} */
            status: "pending" | "succeeded" | "failed" | "dead" | "cancelled";
            attempts: number;
        };
        TestEvent: {
            /**
             * @description Default: the endpoint's first event type (a `prefix.*` wildcard becomes `prefix.test`), or hooklane.test.
             * @example invoice.paid
             */
            eventType?: string;
            /** @description A JSON object. Default: { type, test: true, timestamp }. */
            payload?: {
                [key: string]: unknown;
            };
        };
        FilterTestResult: {
            matches: boolean;
        };
        EndpointStats: {
            /** @enum {string} */
            window: "24h" | "7d";
            stepSeconds: number;
            from: string;
            total: {
                requests: number;
                successRate: number | null;
                p50Ms: number | null;
                p95Ms: number | null;
            };
            points: {
                /** @description Start of the step. */
                at: string;
                requests: number;
                successes: number;
                successRate: number | null;
                p95Ms: number | null;
            }[];
            /** @enum {string} */
            breaker: "closed" | "open" | "half-open";
            nextProbeAt: string | null;
        };
        AppStats: {
            /** @enum {string} */
            window: "24h" | "7d";
            stepSeconds: number;
            from: string;
            total: {
                requests: number;
                successRate: number | null;
                p50Ms: number | null;
                p95Ms: number | null;
            };
            points: {
                /** @description Start of the step. */
                at: string;
                requests: number;
                successes: number;
                successRate: number | null;
                p95Ms: number | null;
            }[];
            /** @description Whose gates were asked. */
            endpoints: {
                asked: number;
                limit: number;
                /** @description The app has more endpoints than were asked: the figures are its newest `limit` endpoints'. */
                more: boolean;
            };
            byEndpoint: {
                endpointId: string;
                url: string;
                disabled: boolean;
                disabledReason?: string;
                /** @enum {string} */
                breaker: "closed" | "open" | "half-open";
                requests: number;
                successRate: number | null;
                p95Ms: number | null;
            }[];
        };
        Attempt: {
            id: string;
            deliveryId: string;
            messageId: string;
            endpointId: string;
            attempt: number;
            /** @example 2026-11-23T12:00:00.000Z */
            startedAt: string;
            durationMs: number;
            statusCode?: number;
            error?: string;
            responseExcerpt?: string;
        };
        AttemptRequest: {
            attemptId: string;
            /** @description False when no request went out (the target was refused at send time). */
            sent: boolean;
            /** @enum {string} */
            method: "POST";
            url: string;
            headers: {
                name: string;
                value: string;
                /** @description A secret, replaced. */
                redacted?: boolean;
            }[];
            /** @description The request body, byte for byte. */
            body: string;
            signature: {
                recomputed: boolean;
                /** @description How the signature shown was obtained. */
                detail: string;
            };
            /** @description What may differ from what was sent. */
            notes: string[];
        };
        ArchiveHour: {
            /** @example 2026-11-20T13 */
            hour: string;
            /** @example 2026-11-20T13:00:00.000Z */
            startsAt: string;
            messages: number;
            /** @description Objects the hour is stored in: 1 unless it was too big for one. */
            parts: number;
            /** @description Compressed size in R2. */
            bytes: number;
        };
        DeadLetter: {
            deliveryId: string;
            messageId: string;
            endpointId: string;
            reason: string;
            attempts: number;
            deadAt: string;
        };
        BulkReplayed: components["schemas"]["Restarted"] & {
            /** @description Read the replayed deliveries' progress at GET .../dead-letters/replays/{replayId}. */
            replayId: string;
        };
        ReplayProgress: {
            id: string;
            createdAt: string;
            total: number;
            pending: number;
            retrying: number;
            succeeded: number;
            dead: number;
            /** @description Ended otherwise (endpoint or message gone). */
            other: number;
            /** @description No replayed delivery is pending or retrying. */
            done: boolean;
        };
        AuditEntry: {
            id: string;
            /** @description "admin" or the API key id that made the change. */
            actor: string;
            /** @enum {string} */
            action: "create" | "update" | "delete" | "rotate" | "reveal" | "replay" | "recover";
            resourceType: string;
            resourceId?: string;
            detail?: {
                [key: string]: unknown;
            };
            createdAt: string;
        };
        OperatorEvent: {
            id: string;
            /** @description What happened, e.g. "endpoint.disabled". */
            type: string;
            endpointId?: string;
            /** @description Why, in words. */
            detail?: string;
            createdAt: string;
        };
        PortalSession: {
            /** @description Open this (or frame it); the one-time code is in the fragment, never sent to a server, and works once. */
            url: string;
            /** @example 2026-11-23T12:00:00.000Z */
            expiresAt: string;
            sessionId: string;
        };
        PortalTheme: {
            /** @description Buttons and highlights; their text colour is chosen for contrast. */
            accent?: string;
            logoUrl?: string;
            /**
             * @description auto (default) follows the viewer's system setting.
             * @enum {string}
             */
            mode?: "light" | "dark" | "auto";
        };
        TransformPreview: {
            /** @description Where the request would go, path suffix included. */
            url: string;
            /** @description The exact body that would be sent and signed. */
            body: string;
            path?: string;
            /** @description The headers the transform adds (besides the endpoint's own and the signature). */
            headers: {
                [key: string]: string;
            };
            /** @description False when the endpoint has no transform and none was given: the body as built. */
            transformed: boolean;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listApps: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of apps */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["App"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createApp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name: string;
                    uid?: string;
                    /** @description Messages per second this app may send; more answer 429. Unset = unlimited. */
                    ingestRateLimit?: number;
                    /** @description Most endpoints this app may have (creating one more answers 422). Unset: the deployment's MAX_ENDPOINTS. */
                    maxEndpoints?: number;
                    /** @description Pins the app to this D1 shard (0 = DB, k = DB_k). Unset: placed by a hash of its id. */
                    shard?: number;
                    /**
                     * @description Origins that may show this app's consumer portal in an iframe (`frame-ancestors`). Empty or unset: none may.
                     * @example [
                     *       "https://app.example.com"
                     *     ]
                     */
                    portalOrigins?: string[];
                    /**
                     * @description The CloudEvents "source" of this app's events (a URI-reference, e.g. "https://example.com/billing" or "/billing"), for endpoints with a cloudevents format. Unset: "/hooklane/{appId}".
                     * @example https://example.com/billing
                     */
                    ceSource?: string;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (409) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getApp: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteApp: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateApp: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string;
                    uid?: string | null;
                    ingestRateLimit?: number | null;
                    maxEndpoints?: number | null;
                    /**
                     * @description Origins that may show this app's consumer portal in an iframe (`frame-ancestors`). Empty or unset: none may.
                     * @example [
                     *       "https://app.example.com"
                     *     ]
                     */
                    portalOrigins?: string[] | null;
                    /**
                     * @description The CloudEvents "source" of this app's events (a URI-reference, e.g. "https://example.com/billing" or "/billing"), for endpoints with a cloudevents format. Unset: "/hooklane/{appId}".
                     * @example https://example.com/billing
                     */
                    ceSource?: string | null;
                };
            };
        };
        responses: {
            /** @description The app */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (409) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getAppMove: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app's placement */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MoveStatus"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    moveApp: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The target shard. */
                    shard: number;
                };
            };
        };
        responses: {
            /** @description The move started */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MoveStatus"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (409) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listApiKeys: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ApiKey"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                keyId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listEventTypes: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of event types */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["EventType"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createEventType: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @example invoice.paid */
                    name: string;
                    description?: string;
                    /** @description A JSON Schema (draft 2020-12). When set, ingest refuses payloads of this event type that do not match it (422, naming each field). */
                    schema?: {
                        [key: string]: unknown;
                    };
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventType"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (409) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getEventType: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The event type */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventType"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteEventType: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateEventType: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description?: string | null;
                    /** @description A JSON Schema (draft 2020-12). When set, ingest refuses payloads of this event type that do not match it (422, naming each field). */
                    schema?: {
                        [key: string]: unknown;
                    } | null;
                };
            };
        };
        responses: {
            /** @description The event type */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventType"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listAuthProfiles: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of profiles */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["AuthProfile"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createAuthProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @default hmac-sha256
                     * @enum {string}
                     */
                    type?: "hmac-sha256" | "ed25519" | "bearer";
                    name?: string;
                    /** @description hmac-sha256: a whsec_ secret to import; bearer: the token. Generated when absent. */
                    secret?: string;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthProfile"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getAuthProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                profileId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The profile */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthProfile"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteAuthProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                profileId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (409) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateAuthProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                profileId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string | null;
                };
            };
        };
        responses: {
            /** @description The profile */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthProfile"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    rotateAuthProfileSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                profileId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    secret?: string;
                    /** @default 86400 */
                    graceSeconds?: number;
                };
            };
        };
        responses: {
            /** @description The profile with its new secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthProfile"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revealAuthProfileSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                profileId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The profile with its secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthProfile"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listEndpoints: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of endpoints */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Endpoint"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    url: string;
                    description?: string;
                    /** @default [] */
                    eventTypes?: string[];
                    /**
                     * @description A MongoDB-style query over the payload, evaluated at ingest: a message that does not match creates no delivery for this endpoint (its detail lists the endpoint under `filtered`). Keys are dotted paths (`customer.tier`, `items.0.sku`); a bare value means equality; operators `$eq $ne $in $nin $gt $gte $lt $lte $exists $regex` (with `$options`: i, m, s), combined with `$and`, `$or` and `$not`. Numbers compare exactly, big integers included. At most 8 levels deep, 256 values, 100 values per `$in`, 4 `$regex`; patterns are refused when they could backtrack badly. See the README, "Payload filters".
                     * @example {
                     *       "customer.tier": {
                     *         "$in": [
                     *           "gold"
                     *         ]
                     *       },
                     *       "amount": {
                     *         "$gte": 100
                     *       }
                     *     }
                     */
                    filter?: {
                        [key: string]: unknown;
                    };
                    /** @example ap_01JD0Z6Q3K8V1W2X3Y4Z5A6B7C */
                    authProfileId?: string;
                    /**
                     * @example {
                     *       "x-tenant": "acme"
                     *     }
                     */
                    headers?: {
                        [key: string]: string;
                    };
                    /** @description Requests per second; unset = unlimited. */
                    rateLimit?: number;
                    maxConcurrency?: number;
                    /**
                     * @default 2xx
                     * @enum {string}
                     */
                    successRule?: "200" | "2xx";
                    /**
                     * @default none
                     * @enum {string}
                     */
                    ordering?: "none" | "fifo";
                    /**
                     * @description Request shape. "standard-webhooks": body {"type","timestamp","data"}. "cloudevents": CloudEvents 1.0 structured mode (content-type application/cloudevents+json, the event as the body, the payload in "data"). "cloudevents-binary": the payload as the body, the attributes in ce-specversion, ce-id, ce-type, ce-source and ce-time headers. Every format carries the same webhook-id, webhook-timestamp and webhook-signature over the exact body sent.
                     * @default standard-webhooks
                     * @enum {string}
                     */
                    format?: "standard-webhooks" | "cloudevents" | "cloudevents-binary";
                    /**
                     * @description A JSONata expression over the body the endpoint's format would send (e.g. `{ type, timestamp, data }`). It evaluates to the body to send, or to `{ "body": ..., "path": "/suffix", "headers": { "x-name": "value" } }` to also append a path to the URL and add x-* headers. Regular expressions and `$eval` are refused; an evaluation that fails, runs too long or makes more than 256 KiB dead-letters the delivery as `transform_error: ...`. README, "Transformations".
                     * @example { "event": type, "invoiceId": data.invoice, "cents": data.amount }
                     */
                    transform?: string;
                    batch?: components["schemas"]["Batch"];
                    /** @default false */
                    disabled?: boolean;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Endpoint"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Endpoint"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    url?: string;
                    description?: string | null;
                    eventTypes?: string[];
                    /**
                     * @description A MongoDB-style query over the payload, evaluated at ingest: a message that does not match creates no delivery for this endpoint (its detail lists the endpoint under `filtered`). Keys are dotted paths (`customer.tier`, `items.0.sku`); a bare value means equality; operators `$eq $ne $in $nin $gt $gte $lt $lte $exists $regex` (with `$options`: i, m, s), combined with `$and`, `$or` and `$not`. Numbers compare exactly, big integers included. At most 8 levels deep, 256 values, 100 values per `$in`, 4 `$regex`; patterns are refused when they could backtrack badly. See the README, "Payload filters".
                     * @example {
                     *       "customer.tier": {
                     *         "$in": [
                     *           "gold"
                     *         ]
                     *       },
                     *       "amount": {
                     *         "$gte": 100
                     *       }
                     *     }
                     */
                    filter?: {
                        [key: string]: unknown;
                    } | null;
                    /** @example ap_01JD0Z6Q3K8V1W2X3Y4Z5A6B7C */
                    authProfileId?: string;
                    /**
                     * @example {
                     *       "x-tenant": "acme"
                     *     }
                     */
                    headers?: {
                        [key: string]: string;
                    } | null;
                    rateLimit?: number | null;
                    maxConcurrency?: number | null;
                    /** @enum {string} */
                    successRule?: "200" | "2xx";
                    /** @enum {string} */
                    ordering?: "none" | "fifo";
                    /**
                     * @description Request shape. "standard-webhooks": body {"type","timestamp","data"}. "cloudevents": CloudEvents 1.0 structured mode (content-type application/cloudevents+json, the event as the body, the payload in "data"). "cloudevents-binary": the payload as the body, the attributes in ce-specversion, ce-id, ce-type, ce-source and ce-time headers. Every format carries the same webhook-id, webhook-timestamp and webhook-signature over the exact body sent.
                     * @enum {string}
                     */
                    format?: "standard-webhooks" | "cloudevents" | "cloudevents-binary";
                    /**
                     * @description A JSONata expression over the body the endpoint's format would send (e.g. `{ type, timestamp, data }`). It evaluates to the body to send, or to `{ "body": ..., "path": "/suffix", "headers": { "x-name": "value" } }` to also append a path to the URL and add x-* headers. Regular expressions and `$eval` are refused; an evaluation that fails, runs too long or makes more than 256 KiB dead-letters the delivery as `transform_error: ...`. README, "Transformations".
                     * @example { "event": type, "invoiceId": data.invoice, "cents": data.amount }
                     */
                    transform?: string | null;
                    batch?: components["schemas"]["Batch"] & (Record<string, never> | null);
                    disabled?: boolean;
                };
            };
        };
        responses: {
            /** @description The endpoint */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Endpoint"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    recoverEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** Format: date-time */
                    since: string;
                    /** @default 1000 */
                    limit?: number;
                };
            };
        };
        responses: {
            /** @description Restarted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Restarted"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getEndpointHealth: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint's health */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EndpointHealth"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    sendTestEvent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TestEvent"];
            };
        };
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (409) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (429) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (503) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    testEndpointFilter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description A payload to test. */
                    payload: {
                        [key: string]: unknown;
                    };
                    /**
                     * @description A filter to try instead of the endpoint's saved one.
                     * @example {
                     *       "customer.tier": {
                     *         "$in": [
                     *           "gold"
                     *         ]
                     *       },
                     *       "amount": {
                     *         "$gte": 100
                     *       }
                     *     }
                     */
                    filter?: {
                        [key: string]: unknown;
                    };
                };
            };
        };
        responses: {
            /** @description Whether the payload matches */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FilterTestResult"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getEndpointStats: {
        parameters: {
            query?: {
                /** @description 24h: hourly points; 7d: 6-hourly points. */
                window?: "24h" | "7d";
            };
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint's series */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EndpointStats"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getAppStats: {
        parameters: {
            query?: {
                /** @description 24h: hourly points; 7d: 6-hourly points. */
                window?: "24h" | "7d";
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app's series */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppStats"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listMessages: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                eventType?: string;
                /** @description Messages with a delivery in this status. */
                status?: "pending" | "succeeded" | "failed" | "dead" | "cancelled";
                /** @description Messages fanned out to this endpoint. */
                endpointId?: string;
                /** @description Created at or after. */
                after?: string;
                /** @description Created before. */
                before?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of messages */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Message"][];
                        nextCursor: string | null;
                        /** @description Present when a filtered page stopped at its scan bound (500 messages read) before it filled: `nextCursor` continues the search below `through`. */
                        scanned?: {
                            rows: number;
                            /** @description Creation time of the oldest message read. */
                            through: string;
                        };
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    sendMessage: {
        parameters: {
            query?: never;
            header?: {
                "idempotency-key"?: string;
            };
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @example invoice.paid */
                    eventType: string;
                    /** @description A JSON object (not an array, string or null). */
                    payload: {
                        [key: string]: unknown;
                    };
                    /** @description Your id for this event; doubles as the idempotency key. */
                    eventId?: string;
                };
            };
        };
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (409) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (429) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMessage: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                messageId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Message"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listMessageAttempts: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
                messageId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of attempts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Attempt"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listEndpointAttempts: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of attempts */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Attempt"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getAttemptRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                messageId: string;
                attemptId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The attempt's request */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AttemptRequest"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listArchiveHours: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of archived hours */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ArchiveHour"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getArchiveHour: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
                hour: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of archived messages */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Message"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listDeadLetters: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                endpointId?: string;
                /** @description The reason, or how it starts (e.g. `target_refused`). */
                reason?: string;
                /** @description Dead at or after this time. */
                since?: string;
                /** @description Dead before this time. */
                until?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of dead letters */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["DeadLetter"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    replayDeadLetters: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @example ep_01JD0Z6Q3K8V1W2X3Y4Z5A6B7C */
                    endpointId?: string;
                    /** @description The reason, or how it starts (e.g. `target_refused`). */
                    reason?: string;
                    /**
                     * Format: date-time
                     * @description Dead at or after this time.
                     */
                    since?: string;
                    /**
                     * Format: date-time
                     * @description Dead before this time.
                     */
                    until?: string;
                    /** @default 100 */
                    limit?: number;
                };
            };
        };
        responses: {
            /** @description Restarted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkReplayed"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    replayDeadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                deliveryId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Restarted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Restarted"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    countDeadLetters: {
        parameters: {
            query?: {
                endpointId?: string;
                /** @description The reason, or how it starts (e.g. `target_refused`). */
                reason?: string;
                /** @description Dead at or after this time. */
                since?: string;
                /** @description Dead before this time. */
                until?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The count */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        count: number;
                        atLeast: boolean;
                        cap: number;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getReplay: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                replayId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Progress */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReplayProgress"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listAuditEntries: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of audit entries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["AuditEntry"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listOperatorEvents: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of operator events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["OperatorEvent"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createPortalSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description What the session may do. Default: all five (the portal is self-service); narrow it, e.g. ["view"] for read-only. `view` is always required. */
                    capabilities?: ("view" | "manage-endpoints" | "view-secrets" | "rotate-secrets" | "replay")[];
                    /** @description Seconds, 3600 to 604800; default 3600. */
                    expiresIn?: number;
                    theme?: components["schemas"]["PortalTheme"];
                };
            };
        };
        responses: {
            /** @description Opened */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PortalSession"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revokePortalSessions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (403) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    previewEndpointTransform: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                appId: string;
                endpointId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @example {
                     *       "invoice": "1001"
                     *     }
                     */
                    payload: {
                        [key: string]: unknown;
                    };
                    /**
                     * @description The event type of the sample message; `transform.preview` when absent.
                     * @example invoice.paid
                     */
                    eventType?: string;
                    /**
                     * @description An expression to try instead of the endpoint's saved one (nothing is saved).
                     * @example { "event": type, "invoiceId": data.invoice, "cents": data.amount }
                     */
                    transform?: string;
                };
            };
        };
        responses: {
            /** @description What would be sent */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TransformPreview"];
                };
            };
            /** @description Problem (400) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (401) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (404) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (413) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (415) */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Problem (422) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
