/**
 * An attempt's request, rebuilt on read: the attempt log keeps no headers (they would cost
 * bytes per delivery), but everything they are made of is kept or derivable. The body comes
 * from the stored payload and the message's time; `webhook-timestamp` is the attempt's start
 * second, and the log keeps the start to the millisecond; the signature is recomputed with the
 * secrets of the endpoint's auth profile that were valid at that moment. The body and the
 * format's headers come from the same builder the consumer uses (buildRequest), so every
 * format is rebuilt exactly.
 */
import { settings } from "../config";
import type { AppRow } from "../db/apps";
import type { LoggedEntry } from "../db/attempt-log";
import type { AuthProfileRow, ProfileSecretRow } from "../db/auth-profiles";
import type { EndpointRow } from "../db/endpoints";
import type { MessageRow } from "../db/messages";
import { iso } from "../db/page";
import { ceSourceOf } from "../schemas/formats";
import { openProfileSecret } from "../security/profile-secrets";
import { applyTransform } from "../transform/apply";
import { buildRequest, webhookHeaders } from "./request";

/** One header as it went out; secret values (bearer tokens) are replaced. */
export interface RebuiltHeader {
  name: string;
  value: string;
  redacted?: boolean;
}

/** What the API answers for an attempt's request. */
export interface RebuiltRequest {
  attemptId: string;
  sent: boolean;
  method: "POST";
  url: string;
  headers: RebuiltHeader[];
  body: string;
  signature: { recomputed: boolean; detail: string };
  notes: string[];
}

/** The profile and its secret rows (every row still stored, rotated-out ones included). */
export interface ProfileWithSecrets {
  profile: AuthProfileRow;
  secrets: ProfileSecretRow[];
}

export const REDACTED = "[redacted]";

/** The profile secret rows that were valid at `at`, newest first, as the sender picked them. */
export function secretsValidAt(rows: ProfileSecretRow[], at: number): ProfileSecretRow[] {
  return rows
    .filter((s) => s.created_at <= at && (s.expires_at === null || s.expires_at > at))
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * Rebuilds the request an attempt sent. `endpoint`, `auth` and `app` (its CloudEvents source)
 * are their current rows: when one changed after the attempt, the notes say what may differ.
 */
export async function rebuildRequest(
  env: Env,
  attemptId: string,
  logged: LoggedEntry,
  message: MessageRow,
  endpoint: EndpointRow | null,
  auth: ProfileWithSecrets | null,
  app: Pick<AppRow, "ce_source" | "updated_at"> | null = null,
): Promise<RebuiltRequest> {
  const [, , , at, , , error] = logged.entry;
  // A deleted endpoint's format is gone with it: its body is shown in the default format.
  const format = endpoint?.format ?? "standard-webhooks";
  const formatted = buildRequest(format, message, ceSourceOf(message.app_id, app?.ce_source));
  let { body } = formatted;
  const notes: string[] = [];
  const refused = error?.startsWith("target_refused") ?? false;
  if (refused) notes.push(`No request went out: the target was refused (${error}).`);
  if (!endpoint) {
    notes.push(
      "The endpoint was deleted: its format is unknown, so the body is shown in the standard-webhooks format.",
    );
    return {
      attemptId,
      sent: !refused,
      method: "POST",
      url: "",
      headers: [],
      body,
      signature: {
        recomputed: false,
        detail: "The endpoint was deleted; its headers and secret are gone.",
      },
      notes,
    };
  }
  if (endpoint.updated_at > at)
    notes.push(
      `The endpoint was changed at ${iso(endpoint.updated_at)}, after this attempt: its URL, format, transform, own headers and auth profile are shown as they are now.`,
    );
  if (format !== "standard-webhooks" && app && app.updated_at > at)
    notes.push(
      `The app was changed at ${iso(app.updated_at)}, after this attempt: its CloudEvents source is shown as it is now.`,
    );
  // The transform ran on the stored payload when it was sent; it runs on it again here, so the
  // body, URL and headers shown are the ones signed and sent (the endpoint's transform now).
  let url = endpoint.url;
  let formatHeaders = formatted.headers;
  const transformFailed = error?.startsWith("transform_error") ?? false;
  if (transformFailed)
    notes.push(
      `No request went out: the endpoint's transform failed (${error}); the body is shown as the format built it.`,
    );
  else if (endpoint.transform) {
    const applied = await applyTransform(endpoint.transform, endpoint.url, body, {
      allowInsecure: settings(env).allowInsecureTargets,
    });
    if (applied.ok) {
      body = applied.request.body;
      url = applied.request.url;
      formatHeaders = { ...formatHeaders, ...applied.request.headers };
    } else
      notes.push(
        `The endpoint's transform fails on this payload now (${applied.error}); the body is shown as the format built it.`,
      );
  }
  const valid = auth ? secretsValidAt(auth.secrets, at) : [];
  const secrets = await Promise.all(valid.map((s) => openProfileSecret(env, s)));
  const type = auth?.profile.type ?? "hmac-sha256";
  const seconds = Math.floor(at / 1000);
  const raw = await webhookHeaders(
    message.id,
    body,
    endpoint,
    { type, secrets: secrets.length > 0 ? secrets : [] },
    seconds,
    formatHeaders,
  );
  const headers: RebuiltHeader[] = Object.entries(raw).map(([name, value]) =>
    name === "authorization" && type === "bearer"
      ? { name, value: `Bearer ${REDACTED}`, redacted: true }
      : { name, value },
  );
  let signature: RebuiltRequest["signature"];
  if (type === "bearer")
    signature = {
      recomputed: false,
      detail: "This endpoint authenticates with a bearer token (redacted); nothing is signed.",
    };
  else if (secrets.length === 0)
    signature = {
      recomputed: false,
      detail:
        "No secret of the endpoint's auth profile valid at the attempt's time is still stored, so the signature cannot be recomputed.",
    };
  else
    signature = {
      recomputed: true,
      detail: `webhook-signature recomputed on read from the stored body, the attempt's timestamp (its start, kept to the millisecond in the attempt log) and the ${secrets.length === 1 ? "secret" : `${secrets.length} secrets`} of the endpoint's auth profile valid at that time; Hooklane does not store sent headers.`,
    };
  if (auth && type !== "bearer" && auth.profile.updated_at > at && secrets.length > 0)
    notes.push(
      "The auth profile was rotated after this attempt; a secret removed since then cannot be shown.",
    );
  return {
    attemptId,
    sent: !refused && !transformFailed,
    method: "POST",
    url,
    headers: headers.filter((h) => !(h.name === "webhook-signature" && !signature.recomputed)),
    body,
    signature,
    notes,
  };
}
