// @ts-check
/** A question on the terminal for scripts/deploy.mjs: "Go ahead?" and the secrets. */
import { DeployStop } from "./deploy-run.mjs";

/**
 * Asks on the terminal, reading keys raw so a hidden answer is never echoed.
 * @param {string} question
 * @param {boolean} hidden
 * @returns {Promise<string>}
 */
export function ask(question, hidden) {
  return new Promise((done, fail) => {
    const { stdin, stdout } = process;
    stdout.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    stdin.resume();
    let answer = "";
    /** @param {Error | undefined} error */
    const finish = (error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stdout.write("\n");
      if (error) fail(error);
      else done(answer);
    };
    /** @param {string} chunk */
    const onData = (chunk) => {
      for (const c of chunk) {
        if (c === "\r" || c === "\n") return finish(undefined);
        if (c === "\u0003" || c === "\u0004")
          return finish(new DeployStop("Stopped; nothing was changed.", 130));
        if (c === "\u007f" || c === "\b") {
          if (answer && !hidden) stdout.write("\b \b");
          answer = answer.slice(0, -1);
        } else if (c >= " ") {
          answer += c;
          if (!hidden) stdout.write(c);
        }
      }
    };
    stdin.on("data", onData);
  });
}
