import type { ProfileSecretRow } from "../db/auth-profiles";
import { newId } from "../lib/ids";
import type { AuthType } from "../schemas/resources";
import { newEd25519Pair } from "./ed25519";
import { open, type SecretKeys, seal } from "./secret-box";
import { newBearerToken, newHmacSecret } from "./tokens";

export interface NewSecret {
  row: ProfileSecretRow;
  /** The plaintext, returned to the caller exactly once. */
  secret: string;
  publicKey: string | null;
}

/** Makes (or takes the supplied) secret for a profile type and seals it for storage. */
export async function makeProfileSecret(
  keys: SecretKeys,
  profileId: string,
  type: AuthType,
  supplied: string | undefined,
  now: number,
): Promise<NewSecret> {
  let secret: string;
  let publicKey: string | null = null;
  if (type === "ed25519") {
    const pair = await newEd25519Pair();
    secret = pair.secret;
    publicKey = pair.publicKey;
  } else if (type === "bearer") {
    secret = supplied ?? newBearerToken();
  } else {
    secret = supplied ?? newHmacSecret();
  }
  return {
    row: {
      id: newId("aps", now),
      profile_id: profileId,
      secret_enc: await seal(keys, secret),
      public_key: publicKey,
      created_at: now,
      expires_at: null,
    },
    secret,
    publicKey,
  };
}

/** The plaintext of a stored secret. */
export function openProfileSecret(keys: SecretKeys, row: ProfileSecretRow): Promise<string> {
  return open(keys, row.secret_enc);
}
