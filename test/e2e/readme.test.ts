import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Hooklane,
  type Receiver,
  redactSecrets,
  startHooklane,
  startReceiver,
} from "./harness";

const ROOT = resolve(import.meta.dirname, "../..");

/** Runs a bash script without blocking this process (the receiver lives in it). */
function runBash(
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", fail);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

/** The shell blocks of the README's walkthrough, in order, as one script. */
function walkthroughScript(): string {
  const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)?.[1];
  if (!section) throw new Error("README has no walkthrough section");
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length < 4) throw new Error("walkthrough has too few shell blocks");
  return blocks.join("\n");
}

/**
 * Test instrumentation run before the README's blocks: `curl` keeps every argument the README
 * gives it and also appends `<status> <method> <url>` to $WALKTHROUGH_STATUSES (curl's
 * write-out, sent to its stderr, which goes to that file). `-s` in the README keeps curl's own
 * messages off stderr, so the file holds only these lines.
 */
const RECORD_STATUSES = `curl() {
  command curl -w '%{stderr}%{http_code} %{method} %{url_effective}\\n' "$@" 2>>"$WALKTHROUGH_STATUSES"
}
`;

describe("README walkthrough", () => {
  let dir = "";
  let hooklane: Hooklane;
  let receiver: Receiver;

  beforeAll(async () => {
    // The README reads the token from `.dev.vars` in the current directory; this one is the
    // file `npm run dev` wrote for this service (which gets no secret by --var).
    dir = await mkdtemp(join(tmpdir(), "hooklane-readme-"));
    [hooklane, receiver] = await Promise.all([
      startHooklane({ devVarsPath: join(dir, ".dev.vars") }),
      startReceiver(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([hooklane?.stop(), receiver?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs as written, token from .dev.vars: 201 app, 201 endpoint, 202 message, a signed delivery and a 200 attempt log", async () => {
    const statusFile = join(dir, "statuses");
    // No TOKEN (nor a stray HOOKLANE/RECEIVER) from this process: the README's own line reads
    // the token from ./.dev.vars. Only the service's and the receiver's ports differ.
    const { TOKEN: _token, HOOKLANE: _hooklane, RECEIVER: _receiver, ...env } = process.env;
    const base = hooklane.baseUrl;
    const run = await runBash(
      RECORD_STATUSES + walkthroughScript(),
      {
        ...env,
        HOOKLANE: base,
        RECEIVER: receiver.url("").replace(/\/$/, ""),
        WALKTHROUGH_STATUSES: statusFile,
      },
      dir,
    );
    const statuses = (await readFile(statusFile, "utf8").catch(() => "")).trim().split("\n");
    const shown = `stdout:\n${redactSecrets(run.stdout)}\nstderr:\n${redactSecrets(run.stderr)}\ncurl: ${statuses.join(" | ")}`;
    expect(run.stderr, shown).toBe("");
    expect(run.status, shown).toBe(0);

    const lines = run.stdout.trim().split("\n");
    const appId = /^app: (app_\w+)$/m.exec(run.stdout)?.[1];
    const secret = lines.find((l) => l.startsWith("whsec_"));
    const messageId = /^message: (msg_\w+)$/m.exec(run.stdout)?.[1];
    expect(appId, shown).toBeDefined();
    expect(secret, shown).toBeDefined();
    expect(messageId, shown).toBeDefined();

    // Each step's own answer, in order: curl -f alone would accept any 2xx. The attempt log
    // is read once (or more, should the README ever poll it), always answering 200.
    const read = `200 GET ${base}/v1/apps/${appId}/messages/${messageId}/attempts`;
    expect(statuses).toEqual([
      `201 POST ${base}/v1/apps`,
      `201 POST ${base}/v1/apps/${appId}/endpoints`,
      `202 POST ${base}/v1/apps/${appId}/messages`,
      read,
      ...statuses.slice(4).map(() => read),
    ]);

    // The last step prints the attempt log; after the README's `sleep 3` it must hold the
    // delivery (empty here means delivery took longer than that sleep).
    const attempts = JSON.parse(lines[lines.length - 1] ?? "") as {
      data: { messageId: string; statusCode: number; attempt: number }[];
    };
    expect(attempts.data).toEqual([
      expect.objectContaining({ messageId, statusCode: 200, attempt: 1 }),
    ]);

    // What the steps created is what they asked for.
    const app = await hooklane.api(`/v1/apps/${appId}`);
    expect(app.status).toBe(200);
    expect(app.body).toMatchObject({ id: appId, name: "Acme" });
    const endpoints = await hooklane.api(`/v1/apps/${appId}/endpoints`);
    expect(endpoints.body).toMatchObject({
      data: [{ url: receiver.url("/webhooks"), eventTypes: ["invoice.*"] }],
    });
    const message = await hooklane.api(`/v1/apps/${appId}/messages/${messageId}`);
    expect(message.body).toMatchObject({
      id: messageId,
      eventType: "invoice.paid",
      payload: { invoice: "1001", amount: 4200 },
      deliveries: [{ status: "succeeded", attempts: 1 }],
    });

    const received = receiver.requests.filter((r) => r.path === "/webhooks");
    expect(received).toHaveLength(1);
    const [req] = received;
    if (!req || !secret) throw new Error("nothing received");
    expect(req.webhookId).toBe(messageId);
    const verified = new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
    expect(verified).toMatchObject({
      type: "invoice.paid",
      data: { invoice: "1001", amount: 4200 },
    });
  });
});
