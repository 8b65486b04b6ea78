import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hooklane, type Receiver, startHooklane, startReceiver } from "./harness";

const ROOT = resolve(import.meta.dirname, "../..");

/** Runs a bash script without blocking this process (the receiver lives in it). */
function runBash(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd: ROOT, env });
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

describe("README walkthrough", () => {
  let hooklane: Hooklane;
  let receiver: Receiver;

  beforeAll(async () => {
    [hooklane, receiver] = await Promise.all([startHooklane(), startReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([hooklane?.stop(), receiver?.close()]);
  });

  it("runs as written: app, endpoint, message, a signed delivery and its attempt log", async () => {
    const run = await runBash(walkthroughScript(), {
      ...process.env,
      HOOKLANE: hooklane.baseUrl,
      RECEIVER: receiver.url("").replace(/\/$/, ""),
      TOKEN: hooklane.adminToken,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n");
    const appId = /^app: (app_\w+)$/m.exec(run.stdout)?.[1];
    const secret = lines.find((l) => l.startsWith("whsec_"));
    const messageId = /^message: (msg_\w+)$/m.exec(run.stdout)?.[1];
    expect(appId).toBeDefined();
    expect(secret).toBeDefined();
    expect(messageId).toBeDefined();

    const attempts = JSON.parse(lines[lines.length - 1] ?? "") as {
      data: { messageId: string; statusCode: number; attempt: number }[];
    };
    expect(attempts.data).toEqual([
      expect.objectContaining({ messageId, statusCode: 200, attempt: 1 }),
    ]);

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
