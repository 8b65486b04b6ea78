/** Bounds on one transform: what it may be at validation and what one evaluation may use. */
export const TRANSFORM_LIMITS = {
  /** Characters of the expression, checked when it is saved. */
  expressionChars: 4096,
  /**
   * Evaluation steps (expression nodes entered). workerd's clock stands still while code runs
   * without I/O, so a deadline alone would never fire inside a synchronous loop: steps are the
   * time cap that holds everywhere (2 to 10 µs each, so 20 to 100 ms at most). A mapping of a
   * hundred-item array takes about a thousand.
   */
  steps: 10_000,
  /** Wall-clock backstop where the clock does move (local runs, tests). */
  timeoutMs: 1000,
  /** Nesting of evaluation (recursion): JSONata's own stack guard. */
  depth: 100,
  /** Items in any sequence the evaluation builds (ranges included). */
  sequence: 5_000,
  /** Characters of any string made along the way, checked after each step and before costly built-ins. */
  stringChars: 256 * 1024,
  /** UTF-8 bytes of the body that would be sent. */
  bodyBytes: 256 * 1024,
  /** Nesting of the body that would be sent. */
  bodyDepth: 32,
  /** Headers one evaluation may add. */
  headers: 10,
  /** Characters of the path suffix. */
  pathChars: 512,
} as const;
