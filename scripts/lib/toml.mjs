// @ts-check
/**
 * A small TOML reader for wrangler.toml: tables, arrays of tables, dotted and quoted keys,
 * basic and literal strings (multi-line too), numbers, booleans, arrays (over several lines)
 * and inline tables. Dates are kept as their text. Anything else is an error naming the line,
 * never a silent guess: the deploy script creates what this reads.
 */

/** @typedef {{ [key: string]: unknown }} Table */

const BARE_KEY = /[A-Za-z0-9_-]+/y;
const ATOM = /[0-9A-Za-z_:.+-]+/y;
const INTEGER = /^[+-]?(0|[1-9](_?[0-9])*)$/;
const FLOAT = /^[+-]?(0|[1-9](_?[0-9])*)(\.[0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}([Tt ]?\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;
const ESCAPES = /** @type {Record<string, string>} */ ({
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  '"': '"',
  "\\": "\\",
});

/**
 * @param {unknown} value
 * @returns {value is Table}
 */
function isTable(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses a TOML document.
 * @param {string} text
 * @returns {Table}
 */
export function parseToml(text) {
  let pos = 0;
  /** @type {Table} */
  const root = {};
  let current = root;

  /** @param {string} message */
  const fail = (message) => {
    const line = text.slice(0, pos).split("\n").length;
    return new Error(`TOML line ${line}: ${message}`);
  };
  const spaces = () => {
    while (text[pos] === " " || text[pos] === "\t") pos++;
  };
  /** Spaces, newlines and comments (inside arrays, and between statements). */
  const blank = () => {
    for (;;) {
      spaces();
      if (text[pos] === "#") while (pos < text.length && text[pos] !== "\n") pos++;
      if (text[pos] === "\n" || text[pos] === "\r") pos++;
      else return;
    }
  };
  /** @param {string} token */
  const expect = (token) => {
    if (!text.startsWith(token, pos)) throw fail(`expected "${token}"`);
    pos += token.length;
  };
  /** @param {string} quote */
  const stringBody = (quote) => {
    const multi = text.startsWith(quote.repeat(3), pos);
    const delimiter = multi ? quote.repeat(3) : quote;
    pos += delimiter.length;
    if (multi && text[pos] === "\n") pos++;
    else if (multi && text.startsWith("\r\n", pos)) pos += 2;
    let raw = "";
    while (!text.startsWith(delimiter, pos)) {
      const c = text[pos];
      if (c === undefined || (!multi && c === "\n")) throw fail("unterminated string");
      if (c === "\\" && quote === '"') {
        raw += c + (text[pos + 1] ?? "");
        pos += 2;
      } else {
        raw += c;
        pos++;
      }
    }
    pos += delimiter.length;
    if (quote === "'") return raw;
    return raw.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|\r?\n\s*|(.))/gs, (m, u, U, c) => {
      if (u || U) return String.fromCodePoint(Number.parseInt(u ?? U, 16));
      if (c === undefined) return "";
      const escaped = ESCAPES[c];
      if (escaped === undefined) throw fail(`unknown escape ${m}`);
      return escaped;
    });
  };
  const keyPart = () => {
    spaces();
    const c = text[pos];
    if (c === '"' || c === "'") return stringBody(c);
    BARE_KEY.lastIndex = pos;
    const m = BARE_KEY.exec(text);
    if (!m) throw fail("expected a key");
    pos = BARE_KEY.lastIndex;
    return m[0];
  };
  const key = () => {
    const parts = [keyPart()];
    spaces();
    while (text[pos] === ".") {
      pos++;
      parts.push(keyPart());
      spaces();
    }
    return parts;
  };
  /** @returns {unknown} */
  const value = () => {
    const c = text[pos];
    if (c === '"' || c === "'") return stringBody(c);
    if (c === "[") {
      pos++;
      const items = [];
      for (blank(); text[pos] !== "]"; blank()) {
        items.push(value());
        blank();
        if (text[pos] === ",") pos++;
        else if (text[pos] !== "]") throw fail('expected "," or "]" in an array');
      }
      pos++;
      return items;
    }
    if (c === "{") {
      pos++;
      /** @type {Table} */
      const table = {};
      spaces();
      while (text[pos] !== "}") {
        assign(table, key(), () => {
          expect("=");
          spaces();
          return value();
        });
        spaces();
        if (text[pos] === ",") pos++;
        else if (text[pos] !== "}") throw fail('expected "," or "}" in an inline table');
        spaces();
      }
      pos++;
      return table;
    }
    ATOM.lastIndex = pos;
    const atom = ATOM.exec(text)?.[0] ?? "";
    pos += atom.length;
    if (atom === "true" || atom === "false") return atom === "true";
    if (INTEGER.test(atom)) return Number(atom.replaceAll("_", ""));
    if (FLOAT.test(atom)) return Number(atom.replaceAll("_", ""));
    if (DATE.test(atom)) return atom;
    throw fail(`unsupported value "${atom || c}"`);
  };
  /**
   * Sets `parts` (a dotted key) under `table` to what `read` returns.
   * @param {Table} table
   * @param {string[]} parts
   * @param {() => unknown} read
   */
  const assign = (table, parts, read) => {
    const last = parts.at(-1) ?? "";
    const parent = descend(table, parts.slice(0, -1));
    if (last in parent) throw fail(`duplicate key "${parts.join(".")}"`);
    parent[last] = read();
  };
  /**
   * The table at `parts` below `from`, created when missing; an array of tables means its last.
   * @param {Table} from
   * @param {string[]} parts
   */
  const descend = (from, parts) => {
    let table = from;
    for (const part of parts) {
      table[part] ??= {};
      const next = table[part];
      const target = Array.isArray(next) ? next.at(-1) : next;
      if (!isTable(target)) throw fail(`"${part}" is not a table`);
      table = target;
    }
    return table;
  };

  for (blank(); pos < text.length; blank()) {
    if (text.startsWith("[[", pos)) {
      pos += 2;
      const parts = key();
      expect("]]");
      const parent = descend(root, parts.slice(0, -1));
      const last = parts.at(-1) ?? "";
      parent[last] ??= [];
      const list = parent[last];
      if (!Array.isArray(list)) throw fail(`"${parts.join(".")}" is not an array of tables`);
      current = {};
      list.push(current);
    } else if (text[pos] === "[") {
      pos++;
      const parts = key();
      expect("]");
      current = descend(root, parts);
    } else {
      const parts = key();
      expect("=");
      spaces();
      assign(current, parts, value);
    }
    spaces();
    if (pos < text.length && text[pos] !== "#" && text[pos] !== "\n" && text[pos] !== "\r")
      throw fail("expected the end of the line");
  }
  return root;
}
