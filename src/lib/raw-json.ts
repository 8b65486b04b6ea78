// Char codes the scanner tests against.
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const COMMA = 0x2c; // ,
const COLON = 0x3a; // :
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]

/** JSON's four whitespace characters; nothing else (not even a BOM) may sit between tokens. */
function isSpace(ch: number): boolean {
  return ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the closing quote of the string whose opening quote is at `i`. */
function stringEnd(text: string, i: number): number {
  // indexOf runs natively over the long unescaped stretches that make up most payloads.
  let quote = text.indexOf('"', i + 1);
  while (quote !== -1) {
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
    // An odd run of backslashes escapes this quote; an even run is escaped backslashes.
    if (slashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/** Index just past the value starting at `i`; nesting is tracked with a counter, not recursion. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number or literal runs until the delimiter that follows it in its parent object.
    while (i < text.length) {
      const ch = text.charCodeAt(i);
      if (ch === COMMA || ch === CLOSE_BRACE || ch === CLOSE_BRACKET || isSpace(ch)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === OPEN_BRACE || ch === OPEN_BRACKET) depth++;
    else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

/** Whether the key string `text[start, end)` (quotes included) decodes to `key`. */
function keyEquals(text: string, start: number, end: number, key: string): boolean {
  const spelled = end - start - 2;
  // A spelling as long as the key matches only letter for letter: any escape in it would
  // decode to something shorter.
  if (spelled === key.length) return !key.includes("\\") && text.startsWith(key, start + 1);
  // Escapes only ever lengthen a spelling, so a shorter one cannot match.
  if (spelled < key.length) return false;
  for (let i = start + 1; i < end - 1; i++) {
    if (text.charCodeAt(i) === BACKSLASH) return JSON.parse(text.slice(start, end)) === key;
  }
  return false;
}

/** The exact source text of a top-level member's value in a JSON object text, or undefined. */
export function rawMember(text: string, key: string): string | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  let found: string | undefined;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return undefined;
  while (i < text.length) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyStart = i;
    const keyEnd = stringEnd(text, i);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    const start = skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    // Every later duplicate replaces the earlier one, as it does in JSON.parse.
    if (keyEquals(text, keyStart, keyEnd, key)) found = text.slice(start, end);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return found;
}
