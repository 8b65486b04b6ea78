/** Longest `$regex` pattern a filter may hold. */
export const MAX_REGEX_LENGTH = 256;
/** Repeating quantifiers (`*`, `+`, `{n,}`, `{n,m}`) a pattern may hold. */
export const MAX_REGEX_REPEATS = 2;

/**
 * Why a `$regex` pattern is refused, or null when it is safe to run. A conservative static
 * check against catastrophic backtracking: no backreferences or lookarounds, no quantified
 * group that itself holds a quantifier or an alternation (`(a+)+`, `(a|a)*`), and at most
 * {@link MAX_REGEX_REPEATS} repeating quantifiers, so the worst case over the bounded input
 * stays polynomial of low degree. Safe patterns may be refused too; that is the price.
 */
export function regexProblem(pattern: string): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) return `longer than ${MAX_REGEX_LENGTH} characters`;
  // Per open group: whether it holds a quantifier or an alternation.
  const groups: { risky: boolean }[] = [{ risky: false }];
  let repeats = 0;
  let inClass = false;
  let lastGroupRisky: boolean | null = null;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    let closed: boolean | null = null;
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && (/[1-9]/.test(next) || next === "k")) return "backreferences are not allowed";
      i++;
    } else if (inClass) {
      if (ch === "]") inClass = false;
    } else if (ch === "[") inClass = true;
    else if (ch === "(") {
      if (/^\?<?[=!]/.test(pattern.slice(i + 1, i + 4))) return "lookarounds are not allowed";
      groups.push({ risky: false });
    } else if (ch === ")") {
      const g = groups.pop();
      if (!g || groups.length === 0) return "unbalanced parentheses";
      closed = g.risky;
      // Whatever the group holds, its parent holds too.
      const parent = groups[groups.length - 1];
      if (parent && g.risky) parent.risky = true;
    } else if (ch === "|") {
      const g = groups[groups.length - 1];
      if (g) g.risky = true;
    } else if (ch === "*" || ch === "+" || ch === "?" || ch === "{") {
      const quant = ch === "{" ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) : null;
      if (ch === "{" && !quant) continue;
      const repeating =
        ch === "*" ||
        ch === "+" ||
        (quant !== null && quant[2] !== undefined && quant[3] !== quant[1]);
      if (quant) i += quant[0].length - 1;
      // A lazy or possessive marker after a quantifier is not a quantifier of its own.
      if (pattern[i + 1] === "?") i++;
      if (repeating || ch === "{") {
        if (lastGroupRisky) return "a quantified group may not hold a quantifier or an alternation";
        if (repeating && ++repeats > MAX_REGEX_REPEATS)
          return `at most ${MAX_REGEX_REPEATS} repeating quantifiers`;
      }
      const g = groups[groups.length - 1];
      if (g) g.risky = true;
    }
    lastGroupRisky = closed;
  }
  if (inClass) return "unterminated character class";
  if (groups.length !== 1) return "unbalanced parentheses";
  return null;
}
