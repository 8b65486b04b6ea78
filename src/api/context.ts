import type { Context } from "hono";

/** Who is calling: the operator (admin token) or one app's API key. */
export type Actor = { kind: "admin" } | { kind: "app"; appId: string; keyId: string };

export interface AppEnv {
  Bindings: Env;
  Variables: { actor: Actor; requestId: string };
}

export type Ctx = Context<AppEnv>;

/** `admin` or the key id, as recorded in logs and the audit trail. */
export function actorName(actor: Actor): string {
  return actor.kind === "admin" ? "admin" : actor.keyId;
}
