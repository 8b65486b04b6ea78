import { WorkerEntrypoint } from "cloudflare:workers";
import { type SendInput, type SendResult, sendInProcess } from "./send";

/**
 * The service-binding entrypoint: another Worker binds it (`entrypoint = "HooklaneIngest"`)
 * and calls `env.HOOKLANE.send(appId, message, { idempotencyKey })` over RPC, with no public
 * hop. A service binding is granted by the account that owns both Workers, so the caller acts
 * for the app it names, as that app's own key would.
 */
export class HooklaneIngest extends WorkerEntrypoint<Env> {
  /** The HTTP route's answer as a value: `ok` with the message, or the problem. */
  send(
    appId: string,
    message: SendInput | string,
    options: { idempotencyKey?: string } = {},
  ): Promise<SendResult> {
    return sendInProcess(
      this.env,
      this.ctx,
      "service-binding",
      appId,
      message,
      options.idempotencyKey,
    );
  }
}
