import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findSecrets,
  type Hooklane,
  type KnownSecret,
  maskTokenAnnouncement,
  type Receiver,
  redactSecrets,
  startHooklane,
  startReceiver,
} from "./harness";

/** Where dev.mjs runs (the harness's cwd): the paths it prints are relative to it. */
const ROOT = resolve(import.meta.dirname, "../..");

const TOKEN_SHAPE = /^hladm_[A-Za-z0-9_-]{43}$/;

/** Whether `value` is canonical base64 of exactly 32 bytes. */
function isBase64Of32Bytes(value: string): boolean {
  const bytes = Buffer.from(value, "base64");
  return bytes.length === 32 && bytes.toString("base64") === value;
}

/**
 * The file's settings lines with each secret replaced by a description of its shape, so a
 * failing assertion shows what is wrong without showing a secret.
 */
function settingsShapes(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const m = /^(ADMIN_TOKEN|ENCRYPTION_KEY)=(.*)$/.exec(line);
      if (!m) return line;
      const [, name, raw = ""] = m;
      const value = /^"(.*)"$/.exec(raw)?.[1];
      if (value === undefined) return `${name}=<unquoted, ${raw.length} chars>`;
      if (name === "ADMIN_TOKEN") {
        return `ADMIN_TOKEN=${TOKEN_SHAPE.test(value) ? '"hladm_<32 bytes, base64url>"' : `"<unexpected, ${value.length} chars>"`}`;
      }
      return `ENCRYPTION_KEY=${isBase64Of32Bytes(value) ? '"<32 bytes, base64>"' : `"<not 32 bytes of base64, ${value.length} chars>"`}`;
    });
}

function dotenvValue(text: string, name: string): string {
  const value = new RegExp(`^${name}="([^"]*)"$`, "m").exec(text)?.[1];
  if (value === undefined) throw new Error(`no quoted ${name} in the secrets file`);
  return value;
}

/** How many times `needle` occurs in `text` (a count, safe to show when `needle` is secret). */
function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * What `npm run dev` promises on a first start (README, "Two commands"): it writes the secrets
 * file with a random ADMIN_TOKEN and ENCRYPTION_KEY and loopback targets allowed, says where
 * the token is, and the service runs on those values; later starts keep the file as it is.
 * The service gets no secret by `--var` here, so everything it knows comes from the file.
 */
describe("npm run dev's secrets file", () => {
  let dir = "";
  let varsPath = "";
  let stateDir = "";
  let receiver: Receiver;
  let first: Hooklane | undefined;
  let second: Hooklane | undefined;
  /** Read from the file by the test itself, not taken from the harness. */
  let token = "";
  let known: KnownSecret[] = [];
  let appId = "";
  let endpointSecret = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hooklane-devvars-"));
    varsPath = join(dir, ".dev.vars");
    stateDir = join(dir, "state");
    receiver = await startReceiver();
    first = await startHooklane({ devVarsPath: varsPath, stateDir });
  });

  afterAll(async () => {
    // Every service stops even if one's stop fails (its secret scan, say); then the first failure.
    const stopped = await Promise.allSettled([first?.stop(), second?.stop(), receiver?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
    const failed = stopped.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  });

  it("is created on a first start with mode 0600, a 32-byte hladm_ ADMIN_TOKEN, a 32-byte base64 ENCRYPTION_KEY and ALLOW_INSECURE_TARGETS", async () => {
    const info = await stat(varsPath);
    expect((info.mode & 0o777).toString(8)).toBe("600");
    const text = await readFile(varsPath, "utf8");
    expect(settingsShapes(text)).toEqual([
      'ADMIN_TOKEN="hladm_<32 bytes, base64url>"',
      'ENCRYPTION_KEY="<32 bytes, base64>"',
      'ALLOW_INSECURE_TARGETS="true"',
    ]);
    token = dotenvValue(text, "ADMIN_TOKEN");
    known = [
      { name: "the admin token", value: token },
      { name: "the encryption key", value: dotenvValue(text, "ENCRYPTION_KEY") },
    ];
    // The harness, too, took its token from the file rather than making one up.
    expect(first?.adminToken === token).toBe(true);
  });

  it("says where the token is: the printed path is the file, and the token is printed once, on its own line", () => {
    if (!first) throw new Error("not started");
    const logs = first.logs();
    const shown = redactSecrets(logs, known);
    const printed = /^\[dev\] Created (.+) \(mode 0600\) with fresh local secrets\.$/m.exec(shown);
    expect(printed?.[1], shown).toBeDefined();
    expect(resolve(ROOT, printed?.[1] ?? "")).toBe(varsPath);
    expect(shown).toContain(
      `[dev] Admin token (also in ${printed?.[1]} as ADMIN_TOKEN):\n` +
        "[dev]   hladm_[redacted the admin token]\n",
    );
    expect(occurrences(logs, token)).toBe(1);
    expect(occurrences(logs, known[1]?.value ?? "")).toBe(0);
  });

  it("the generated token is the admin token: 201 with it, 401 problem+json with a wrong or no token", async () => {
    if (!first) throw new Error("not started");
    const created = await first.api("/v1/apps", { token, body: { name: "dev-vars" } });
    expect(created.status).toBe(201);
    appId = (created.body as { id: string }).id;
    expect(appId).toMatch(/^app_/);

    const wrong = `hladm_${"A".repeat(43)}`;
    for (const bad of [wrong, null]) {
      const res = await first.api("/v1/apps", { token: bad, body: { name: "nope" } });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body).toMatchObject({
        type: "https://hooklane.dev/problems/unauthorized",
        title: "Unauthorized",
        status: 401,
      });
    }
    const apps = await first.api("/v1/apps", { token });
    expect((apps.body as { data: { name: string }[] }).data.map((a) => a.name)).toEqual([
      "dev-vars",
    ]);
  });

  it("the file's ALLOW_INSECURE_TARGETS lets a loopback receiver in, and its ENCRYPTION_KEY signs deliveries", async () => {
    if (!first) throw new Error("not started");
    const ep = await first.api(`/v1/apps/${appId}/endpoints`, {
      token,
      body: { url: receiver.url("/hook") },
    });
    // wrangler.toml says "false": only the file can have allowed this http://127.0.0.1 target.
    expect(ep.status).toBe(201);
    endpointSecret = (ep.body as { secret: string }).secret;
    receiver.setSecret("/hook", endpointSecret);
    const msg = await first.api(`/v1/apps/${appId}/messages`, {
      token,
      body: { eventType: "devvars.first", payload: { n: 1 } },
    });
    expect(msg.status).toBe(202);
    const id = (msg.body as { id: string }).id;
    await receiver.waitFor(
      () => receiver.requests.some((r) => r.webhookId === id && r.verified === true),
      30_000,
      "a signed delivery from the first start",
    );
  });

  it("a second start keeps the file untouched and the same token, and reads the first start's data", async () => {
    if (!first) throw new Error("not started");
    const before = await readFile(varsPath);
    const beforeStat = await stat(varsPath);
    // The first start's output passes the harness's secret scan (its one token line is by design).
    await first.stop();

    second = await startHooklane({ devVarsPath: varsPath, stateDir });
    const after = await readFile(varsPath);
    const afterStat = await stat(varsPath);
    expect(sha256(after)).toBe(sha256(before));
    expect(afterStat.mtimeMs).toBe(beforeStat.mtimeMs);
    expect(afterStat.ino).toBe(beforeStat.ino);
    expect((afterStat.mode & 0o777).toString(8)).toBe("600");
    expect(second.adminToken === token).toBe(true);

    const logs = second.logs();
    const shown = redactSecrets(logs, known);
    expect(shown).toContain(`[dev] Admin token: ADMIN_TOKEN in ${relative(ROOT, varsPath)}\n`);
    expect(shown).not.toContain("[dev] Created");
    expect(occurrences(logs, token)).toBe(0);

    // Same token, same state: the app made with the first start's token is there.
    const app = await second.api(`/v1/apps/${appId}`, { token });
    expect(app.status).toBe(200);
    expect(app.body).toMatchObject({ id: appId, name: "dev-vars" });
    // The endpoint's secret was stored encrypted under the file's key; a delivery that still
    // verifies with it shows the second start decrypts with the same key.
    const msg = await second.api(`/v1/apps/${appId}/messages`, {
      token,
      body: { eventType: "devvars.second", payload: { n: 2 } },
    });
    expect(msg.status).toBe(202);
    const id = (msg.body as { id: string }).id;
    await receiver.waitFor(
      () => receiver.requests.some((r) => r.webhookId === id && r.verified === true),
      30_000,
      "a signed delivery from the second start",
    );
  });

  it("the harness's scan masks only dev.mjs's announcement line; the token anywhere else is a leak", () => {
    const t = `hladm_${"x".repeat(43)}`;
    const announced = `[dev] Admin token (also in .dev.vars as ADMIN_TOKEN):\n[dev]   ${t}\n`;
    const mine = [{ name: "the admin token", value: t }];
    expect(findSecrets(announced, mine)).toHaveLength(1);
    expect(findSecrets(maskTokenAnnouncement(announced), mine)).toEqual([]);
    expect(findSecrets(maskTokenAnnouncement(`${announced}GET /x?token=${t}\n`), mine)).toEqual([
      { name: "the admin token", excerpt: "GET /x?token=hladm_[redacted the admin token]" },
    ]);
    expect(findSecrets(maskTokenAnnouncement(`[dev]   ${t}\n`), mine)).toHaveLength(1);
  });
});
