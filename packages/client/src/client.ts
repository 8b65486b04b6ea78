/**
 * The hand-written surface: one method per operation, grouped by resource, each typed from the
 * generated schema through the path and method it calls.
 */
import { type CallInit, type ClientOptions, type RequestOptions, Transport } from "./http.js";
import type { Body, MethodOf, OperationAt, Page, paths, Query, SuccessBody } from "./types.js";

type Opts = RequestOptions;

/** Options of `messages.send`. */
export interface SendOptions extends RequestOptions {
  /**
   * Sending again with the same key answers the first message and never creates a second.
   * Without one (and without an `eventId` in the body, which the API uses as the key then) the
   * client makes one, and its retries of this send reuse it.
   */
  idempotencyKey?: string;
}

function appsApi(t: Transport) {
  const at = (appId: string) => ({ appId });
  return {
    create: (body: Body<"createApp">, o?: Opts) => t.call("post", "/v1/apps", { ...o, body }),
    list: (query?: Query<"listApps">, o?: Opts) => t.call("get", "/v1/apps", { ...o, query }),
    get: (appId: string, o?: Opts) => t.call("get", "/v1/apps/{appId}", { ...o, path: at(appId) }),
    update: (appId: string, body: Body<"updateApp">, o?: Opts) =>
      t.call("patch", "/v1/apps/{appId}", { ...o, path: at(appId), body }),
    delete: (appId: string, o?: Opts) =>
      t.call("delete", "/v1/apps/{appId}", { ...o, path: at(appId) }),
  };
}

function apiKeysApi(t: Transport) {
  return {
    create: (appId: string, body: Body<"createApiKey">, o?: Opts) =>
      t.call("post", "/v1/apps/{appId}/api-keys", { ...o, path: { appId }, body }),
    list: (appId: string, query?: Query<"listApiKeys">, o?: Opts) =>
      t.call("get", "/v1/apps/{appId}/api-keys", { ...o, path: { appId }, query }),
    delete: (appId: string, keyId: string, o?: Opts) =>
      t.call("delete", "/v1/apps/{appId}/api-keys/{keyId}", { ...o, path: { appId, keyId } }),
  };
}

function eventTypesApi(t: Transport) {
  const one = "/v1/apps/{appId}/event-types/{name}";
  return {
    create: (appId: string, body: Body<"createEventType">, o?: Opts) =>
      t.call("post", "/v1/apps/{appId}/event-types", { ...o, path: { appId }, body }),
    list: (appId: string, query?: Query<"listEventTypes">, o?: Opts) =>
      t.call("get", "/v1/apps/{appId}/event-types", { ...o, path: { appId }, query }),
    get: (appId: string, name: string, o?: Opts) =>
      t.call("get", one, { ...o, path: { appId, name } }),
    update: (appId: string, name: string, body: Body<"updateEventType">, o?: Opts) =>
      t.call("patch", one, { ...o, path: { appId, name }, body }),
    delete: (appId: string, name: string, o?: Opts) =>
      t.call("delete", one, { ...o, path: { appId, name } }),
  };
}

function authProfilesApi(t: Transport) {
  const one = "/v1/apps/{appId}/auth-profiles/{profileId}";
  return {
    create: (appId: string, body: Body<"createAuthProfile">, o?: Opts) =>
      t.call("post", "/v1/apps/{appId}/auth-profiles", { ...o, path: { appId }, body }),
    list: (appId: string, query?: Query<"listAuthProfiles">, o?: Opts) =>
      t.call("get", "/v1/apps/{appId}/auth-profiles", { ...o, path: { appId }, query }),
    get: (appId: string, profileId: string, o?: Opts) =>
      t.call("get", one, { ...o, path: { appId, profileId } }),
    update: (appId: string, profileId: string, body: Body<"updateAuthProfile">, o?: Opts) =>
      t.call("patch", one, { ...o, path: { appId, profileId }, body }),
    delete: (appId: string, profileId: string, o?: Opts) =>
      t.call("delete", one, { ...o, path: { appId, profileId } }),
    rotate: (appId: string, profileId: string, body?: Body<"rotateAuthProfileSecret">, o?: Opts) =>
      t.call("post", `${one}/rotate`, { ...o, path: { appId, profileId }, body }),
    reveal: (appId: string, profileId: string, o?: Opts) =>
      t.call("post", `${one}/reveal`, { ...o, path: { appId, profileId } }),
  };
}

function endpointsApi(t: Transport) {
  const one = "/v1/apps/{appId}/endpoints/{endpointId}";
  return {
    create: (appId: string, body: Body<"createEndpoint">, o?: Opts) =>
      t.call("post", "/v1/apps/{appId}/endpoints", { ...o, path: { appId }, body }),
    list: (appId: string, query?: Query<"listEndpoints">, o?: Opts) =>
      t.call("get", "/v1/apps/{appId}/endpoints", { ...o, path: { appId }, query }),
    get: (appId: string, endpointId: string, o?: Opts) =>
      t.call("get", one, { ...o, path: { appId, endpointId } }),
    update: (appId: string, endpointId: string, body: Body<"updateEndpoint">, o?: Opts) =>
      t.call("patch", one, { ...o, path: { appId, endpointId }, body }),
    delete: (appId: string, endpointId: string, o?: Opts) =>
      t.call("delete", one, { ...o, path: { appId, endpointId } }),
    health: (appId: string, endpointId: string, o?: Opts) =>
      t.call("get", `${one}/health`, { ...o, path: { appId, endpointId } }),
    stats: (appId: string, endpointId: string, query?: Query<"getEndpointStats">, o?: Opts) =>
      t.call("get", `${one}/stats`, { ...o, path: { appId, endpointId }, query }),
    recover: (appId: string, endpointId: string, body: Body<"recoverEndpoint">, o?: Opts) =>
      t.call("post", `${one}/recover`, { ...o, path: { appId, endpointId }, body }),
    sendTest: (appId: string, endpointId: string, body: Body<"sendTestEvent">, o?: Opts) =>
      t.call("post", `${one}/test`, { ...o, path: { appId, endpointId }, body }),
    testFilter: (appId: string, endpointId: string, body: Body<"testEndpointFilter">, o?: Opts) =>
      t.call("post", `${one}/filter/test`, { ...o, path: { appId, endpointId }, body }),
    previewTransform: (
      appId: string,
      endpointId: string,
      body: Body<"previewEndpointTransform">,
      o?: Opts,
    ) => t.call("post", `${one}/transform/preview`, { ...o, path: { appId, endpointId }, body }),
  };
}

function messagesApi(t: Transport) {
  return {
    /** Sends a message (202 once it is stored); retried sends reuse one idempotency key. */
    send: (appId: string, body: Body<"sendMessage">, o?: SendOptions) => {
      const { idempotencyKey, ...rest } = o ?? {};
      // The API takes `eventId` as the key when the header is absent; a made-up header would
      // replace it, so one is made only when neither is given.
      const key = idempotencyKey ?? (body.eventId === undefined ? crypto.randomUUID() : undefined);
      return t.call("post", "/v1/apps/{appId}/messages", {
        ...rest,
        path: { appId },
        header: key === undefined ? {} : { "idempotency-key": key },
        body,
        repeatable: true,
      });
    },
    list: (appId: string, query?: Query<"listMessages">, o?: Opts) =>
      t.call("get", "/v1/apps/{appId}/messages", { ...o, path: { appId }, query }),
    get: (appId: string, messageId: string, o?: Opts) =>
      t.call("get", "/v1/apps/{appId}/messages/{messageId}", { ...o, path: { appId, messageId } }),
  };
}

function attemptsApi(t: Transport) {
  const byMessage = "/v1/apps/{appId}/messages/{messageId}/attempts";
  return {
    listByMessage: (
      appId: string,
      messageId: string,
      query?: Query<"listMessageAttempts">,
      o?: Opts,
    ) => t.call("get", byMessage, { ...o, path: { appId, messageId }, query }),
    listByEndpoint: (
      appId: string,
      endpointId: string,
      query?: Query<"listEndpointAttempts">,
      o?: Opts,
    ) =>
      t.call("get", "/v1/apps/{appId}/endpoints/{endpointId}/attempts", {
        ...o,
        path: { appId, endpointId },
        query,
      }),
    /** The request as it was sent, signature recomputed. */
    getRequest: (appId: string, messageId: string, attemptId: string, o?: Opts) =>
      t.call("get", `${byMessage}/{attemptId}/request`, {
        ...o,
        path: { appId, messageId, attemptId },
      }),
  };
}

function deadLettersApi(t: Transport) {
  const all = "/v1/apps/{appId}/dead-letters";
  return {
    list: (appId: string, query?: Query<"listDeadLetters">, o?: Opts) =>
      t.call("get", all, { ...o, path: { appId }, query }),
    count: (appId: string, query?: Query<"countDeadLetters">, o?: Opts) =>
      t.call("get", `${all}/count`, { ...o, path: { appId }, query }),
    /** Replays one dead letter. */
    replay: (appId: string, deliveryId: string, o?: Opts) =>
      t.call("post", `${all}/{deliveryId}/replay`, { ...o, path: { appId, deliveryId } }),
    /** Replays the dead letters a filter matches, at most `limit` per call. */
    replayMatching: (appId: string, body: Body<"replayDeadLetters">, o?: Opts) =>
      t.call("post", `${all}/replay`, { ...o, path: { appId }, body }),
    getReplay: (appId: string, replayId: string, o?: Opts) =>
      t.call("get", `${all}/replays/{replayId}`, { ...o, path: { appId, replayId } }),
  };
}

function portalSessionsApi(t: Transport) {
  const all = "/v1/apps/{appId}/portal-sessions";
  return {
    create: (appId: string, body: Body<"createPortalSession">, o?: Opts) =>
      t.call("post", all, { ...o, path: { appId }, body }),
    revokeAll: (appId: string, o?: Opts) => t.call("delete", all, { ...o, path: { appId } }),
  };
}

/**
 * A Hooklane API client: `new Hooklane({ baseUrl, token })`. Every method resolves to the
 * answer's body (undefined for 204) or rejects with a HooklaneError carrying the problem.
 */
export class Hooklane {
  readonly #transport: Transport;
  readonly apps: ReturnType<typeof appsApi>;
  readonly apiKeys: ReturnType<typeof apiKeysApi>;
  readonly eventTypes: ReturnType<typeof eventTypesApi>;
  readonly authProfiles: ReturnType<typeof authProfilesApi>;
  readonly endpoints: ReturnType<typeof endpointsApi>;
  readonly messages: ReturnType<typeof messagesApi>;
  readonly attempts: ReturnType<typeof attemptsApi>;
  readonly deadLetters: ReturnType<typeof deadLettersApi>;
  readonly portalSessions: ReturnType<typeof portalSessionsApi>;

  constructor(options: ClientOptions) {
    const t = new Transport(options);
    this.#transport = t;
    this.apps = appsApi(t);
    this.apiKeys = apiKeysApi(t);
    this.eventTypes = eventTypesApi(t);
    this.authProfiles = authProfilesApi(t);
    this.endpoints = endpointsApi(t);
    this.messages = messagesApi(t);
    this.attempts = attemptsApi(t);
    this.deadLetters = deadLettersApi(t);
    this.portalSessions = portalSessionsApi(t);
  }

  /** Any operation of the API by its path and method, typed like the methods above. */
  request<P extends keyof paths, M extends MethodOf<P>>(
    method: M,
    path: P,
    init: CallInit<OperationAt<P, M>>,
  ): Promise<SuccessBody<OperationAt<P, M>>> {
    return this.#transport.call(method, path, init);
  }
}

/** Every item of a cursor-paginated list, fetching pages as they are needed. */
export async function* paginate<T>(
  page: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const { data, nextCursor } = await page(cursor);
    yield* data;
    cursor = nextCursor ?? undefined;
  } while (cursor !== undefined);
}
