import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/** `npm test` runs under scripts/scan-output.mjs: the run's whole output is checked for secrets. */
function scan(script: string) {
  const run = spawnSync("node", ["scripts/scan-output.mjs", "--", "node", "-e", script], {
    encoding: "utf8",
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("scan-output", () => {
  it("passes a clean command's output and exit code through", () => {
    const clean = scan("console.log('ids like key_01ABC and whpk_ public keys are fine')");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("ids like key_01ABC");
    expect(clean.stdout).toContain("[scan-output] no secrets in");
    expect(scan("process.exit(3)").code).toBe(3);
  });

  it("fails a run whose output holds a secret, naming the kind but never the value", () => {
    const body = "A".repeat(20);
    const leaked = scan(
      `console.log('ok'); console.error('whsec_' + '${body}'); console.log('hk_' + '${body}')`,
    );
    expect(leaked.code).toBe(1);
    expect(leaked.stderr).toContain(
      "[scan-output] the output contains a whsec_ signing secret (output line",
    );
    expect(leaked.stderr).toContain(
      "[scan-output] the output contains an hk_ API key (output line",
    );
    // The report itself never repeats a value (the command's own output, passed through, does).
    const report = leaked.stderr.split("\n").filter((l) => l.startsWith("[scan-output]"));
    expect(report.join("\n")).not.toContain(body);
  });
});
