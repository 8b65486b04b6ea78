#!/usr/bin/env node
// @ts-check
/**
 * Process guard for the bench: runs `node guard.mjs <command> [args...]`, putting the command in
 * its own process group, and takes that whole group down (SIGTERM, then SIGKILL after a grace)
 * when the guard's stdin closes (the bench process died, even by SIGKILL), when the guard gets
 * SIGTERM/SIGINT/SIGHUP, or when the command exits (so a lingering workerd child goes too).
 * Exits with the command's exit code.
 */
import { spawn } from "node:child_process";

const GRACE_MS = 5_000;
const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("usage: node guard.mjs <command> [args...]");
  process.exit(2);
}

const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], detached: true });
const pgid = child.pid;
console.log(`[guard] started pid ${pgid} (own process group)`);

/** @param {NodeJS.Signals} signal */
function signalGroup(signal) {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  signalGroup("SIGTERM");
  setTimeout(() => signalGroup("SIGKILL"), GRACE_MS);
}

for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
  process.on(signal, stop);
}
process.stdin.on("data", () => {});
process.stdin.once("close", stop);
process.stdin.once("end", stop);
process.on("exit", () => signalGroup("SIGKILL"));

child.once("error", (err) => {
  console.error(`[guard] could not start ${command}: ${err.message}`);
  process.exit(1);
});
child.once("exit", (code, signal) => {
  signalGroup("SIGKILL");
  process.exit(code ?? (signal ? 1 : 0));
});
