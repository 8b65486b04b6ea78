/**
 * Indents JSON text without parsing it into values: numbers, strings and escapes are copied as
 * written, so a big integer or a long decimal shows exactly what the sender wrote (JSON.parse
 * would round `12345678901234567890123` to a double). Whitespace outside strings is replaced;
 * nothing else changes. Text that is not valid JSON comes out indented as far as it reads.
 */
export function prettyJson(text: string, indent = "  "): string {
  let out = "";
  let depth = 0;
  let inString = false;
  const newline = () => `\n${indent.repeat(depth)}`;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (inString) {
      out += ch;
      if (ch === "\\") {
        out += text.charAt(i + 1);
        i++;
      } else if (ch === '"') inString = false;
      continue;
    }
    switch (ch) {
      case '"':
        inString = true;
        out += ch;
        break;
      case "{":
      case "[": {
        const close = ch === "{" ? "}" : "]";
        const next = nextSignificant(text, i + 1);
        if (text.charAt(next) === close) {
          // An empty object or array stays on one line.
          out += ch + close;
          i = next;
        } else {
          depth++;
          out += ch + newline();
        }
        break;
      }
      case "}":
      case "]":
        depth = Math.max(0, depth - 1);
        out += newline() + ch;
        break;
      case ",":
        out += `,${newline()}`;
        break;
      case ":":
        out += ": ";
        break;
      case " ":
      case "\t":
      case "\n":
      case "\r":
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/** The index of the next character that is not JSON whitespace. */
function nextSignificant(text: string, from: number): number {
  let i = from;
  while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  return i;
}
