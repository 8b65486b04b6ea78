import type { Context } from "hono";
import type { Placement } from "../lib/topology";

/** Who is calling: the operator (admin token) or one app's API key. */
export type Actor = { kind: "admin" } | { kind: "app"; appId: string; keyId: string };

export interface AppEnv {
  Bindings: Env;
  Variables: {
    actor: Actor;
    requestId: string;
    /** The shard holding the app of a `/v1/apps/{appId}/...` route (set by requireAppAccess). */
    db: D1Database;
    placement: Placement;
  };
}

export type Ctx = Context<AppEnv>;

/** `admin` or the key id, as recorded in logs and the audit trail. */
export function actorName(actor: Actor): string {
  return actor.kind === "admin" ? "admin" : actor.keyId;
}
