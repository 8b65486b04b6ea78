import type { Settings } from "../config";
import type { DeliveryEndpoint, SecretForEndpoint } from "../db/delivery-context";
import { log } from "../lib/log";
import { TtlCache } from "../lib/ttl-cache";
import { ceSourceOf } from "../schemas/formats";
import { checkResolvedHostCached } from "../security/dns-guard";
import { open } from "../security/secret-box";
import { checkTargetUrl } from "../security/url-guard";
import { applyTransform } from "../transform/apply";
import { batchEnvelope, buildRequest, type ProfileKeys } from "./request";
import {
  crashed,
  deadAttempt,
  type Item,
  type Ready,
  type Result,
  refusedAttempt,
  settle,
} from "./results";

/** Decrypted secrets by secret row id; rotation creates new ids, so entries never go stale. */
const secretCache = new TtlCache<Promise<string>>(5 * 60_000, 5000);

/**
 * Everything before the request: the endpoint still exists and takes deliveries, its target
 * passes the guards, its signing keys open. Returns what to send, or what the item became
 * without sending (cancelled, dead, a refused attempt to retry, crashed).
 */
export async function prepare(
  env: Env,
  cfg: Settings,
  item: Item,
  endpoint: DeliveryEndpoint | undefined,
  secretRows: SecretForEndpoint[],
  now: number,
): Promise<{ ready: Ready } | { result: Result }> {
  try {
    // Deleted: the delivery reads as cancelled without an entry (an app being purged must not
    // get new rows), and its open row, if any, goes.
    if (!endpoint || endpoint.app_id !== item.appId) return { result: { item, ended: true } };
    if (item.payload === null) return { result: settle(item, "cancelled", "message purged", now) };
    if (endpoint.disabled) return { result: settle(item, "dead", "endpoint_disabled", now) };
    const target = checkTargetUrl(endpoint.url, { allowInsecure: cfg.allowInsecureTargets });
    if (!target.ok)
      return { result: settle(item, "dead", `target_refused: ${target.reason}`, now) };
    if (cfg.dnsCheck) {
      // DNS answers change; a private answer now is a failed attempt, retried on the schedule.
      const dns = await checkResolvedHostCached(target.url.hostname);
      if (dns.ok === false)
        return {
          result: refusedAttempt(
            item,
            endpoint,
            `target_refused: ${dns.reason}`,
            now,
            cfg.retrySchedule,
          ),
        };
    }
    const type = secretRows[0]?.type;
    if (!type) return { result: settle(item, "dead", "no_signing_secret", now) };
    const keys: ProfileKeys = { type, secrets: await openSecrets(env, secretRows) };
    const ceSource = ceSourceOf(item.appId, endpoint.app_ce_source);
    const message = {
      id: item.messageId,
      event_type: item.eventType,
      created_at: item.createdAt,
      payload: item.payload,
    };
    // A batching endpoint's member: its envelope, joined into the array when the batch forms
    // (batching.ts). Validation keeps batching and transforms apart, so none applies here.
    if (endpoint.batch) {
      const body = batchEnvelope(endpoint.format, message, ceSource);
      return { ready: { item, endpoint, body, headers: {}, keys } };
    }
    const { body, headers } = buildRequest(endpoint.format, message, ceSource);
    if (!endpoint.transform) return { ready: { item, endpoint, body, headers, keys } };
    // After the format built the body, so a transform sees what the endpoint would get. It is
    // pure and capped (src/transform/); a failure is a verdict on this payload, never a throw.
    const applied = await applyTransform(endpoint.transform, endpoint.url, body, {
      allowInsecure: cfg.allowInsecureTargets,
    });
    if (!applied.ok) return { result: deadAttempt(item, `transform_error: ${applied.error}`, now) };
    const sent = applied.request;
    return {
      ready: {
        item,
        endpoint,
        body: sent.body,
        headers: { ...headers, ...sent.headers },
        keys,
        url: sent.url,
      },
    };
  } catch (err) {
    log("delivery processing threw; handing it back", {
      messageId: item.messageId,
      endpointId: item.endpointId,
      error: String(err),
    });
    return { result: crashed(item, now) };
  }
}

/**
 * The secrets to sign with, current first. The current one must open (else the delivery is
 * handed back); a rotated-out one that cannot (its encryption key was retired from
 * ENCRYPTION_KEYS_OLD too early) is skipped with a log line rather than blocking the profile.
 */
async function openSecrets(env: Env, rows: SecretForEndpoint[]): Promise<string[]> {
  const opened = await Promise.allSettled(rows.map((row) => decrypt(env, row)));
  const secrets: string[] = [];
  opened.forEach((o, i) => {
    if (o.status === "fulfilled") secrets.push(o.value);
    else if (i === 0) throw o.reason;
    else
      log("old signing secret cannot be decrypted; skipped", {
        secretId: rows[i]?.id,
        error: String(o.reason),
      });
  });
  return secrets;
}

function decrypt(env: Env, row: { id: string; secret_enc: string }): Promise<string> {
  let hit = secretCache.get(row.id);
  if (!hit) {
    hit = open(env, row.secret_enc);
    hit.catch(() => secretCache.delete(row.id));
    secretCache.set(row.id, hit);
  }
  return hit;
}
