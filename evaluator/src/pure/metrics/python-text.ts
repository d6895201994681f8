// Python's str methods as the reference implementations call them. They differ from JavaScript's
// in the details that decide token boundaries: what counts as whitespace, and that str indexes
// code points where a JavaScript string indexes UTF-16 code units.

// str.isspace() / str.split(): Unicode White_Space minus U+180E plus the ASCII separators
// U+001C–U+001F and U+0085; JavaScript's \s also takes U+FEFF and leaves U+001C–U+001F and U+0085.
const whitespaceClass =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const whitespaceRun = new RegExp(`[${whitespaceClass}]+`, "g");
const whitespace = new RegExp(`^[${whitespaceClass}]$`);

/** `text.split()`: runs of Python whitespace separate; no empty strings. */
export function pythonSplit(text: string): string[] {
  return text.split(whitespaceRun).filter((part) => part !== "");
}

/** `text.rstrip()`. */
export function pythonRstrip(text: string): string {
  // a loop, not /\s+$/: that regex is quadratic on long runs of inner whitespace
  let end = text.length;
  while (end > 0 && whitespace.test(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

/** `list(text)`: the code points of a string, as Python indexes it. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

/**
 * `collections.Counter` of the n-grams of `units`, each n-gram's units joined by `separator`
 * (which must not occur inside a unit, so that distinct n-grams get distinct keys).
 */
export function ngramCounts(
  units: readonly string[],
  n: number,
  separator: string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const key = units.slice(i, i + n).join(separator);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** `sum((a & b).values())`: the size of the multiset intersection of two counters. */
export function overlap(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let shared = 0;
  for (const [key, count] of a) {
    const other = b.get(key);
    if (other !== undefined) shared += Math.min(count, other);
  }
  return shared;
}

/** `sum(counter.values())`. */
export function total(counts: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const count of counts.values()) sum += count;
  return sum;
}

/** A non-negative integer that JSON carries exactly: what a stored count must be. */
export const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
