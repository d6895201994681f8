/**
 * Filter chains over a generation (lm-evaluation-harness's `filter_list`): each step maps the text
 * to a new text, and the last one's output is the prediction that metrics score. Pure: no I/O.
 */

/** One step, as the suite schema's `$defs/filterStep` declares it. */
export type FilterStep =
  | { filter: "regex"; pattern: string; group?: number; fallback?: string }
  | { filter: "take_first" }
  | { filter: "first_line" }
  | { filter: "last_number"; fallback?: string }
  | { filter: "strip" }
  | { filter: "lowercase" }
  | { filter: "remove_whitespace" };

export type FilterId = FilterStep["filter"];

/** lm-evaluation-harness's RegexFilter fallback. */
export const invalidAnswer = "[invalid]";

/** Longest pattern a suite may give a regex filter. */
export const maxPatternLength = 256;

/**
 * Longest text a regex filter runs on: the first this many UTF-16 units of its input. A
 * generation of the schema's 8,192 tokens at ~4 characters a token fits; the cap bounds the
 * polynomial cost of patterns the load-time check lets through (e.g. `.*x.*y` on a long text).
 */
export const maxRegexInput = 65_536;

/** A compiled chain: text in, prediction out. */
export type FilterChain = (text: string) => string;

/** A step that cannot be compiled, with the JSON path below the step (e.g. `.pattern`). */
export class FilterError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

// Python's str.isspace() characters: str.strip() and str.lstrip() remove exactly these.
const pyWhitespace =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const leadingSpace = new RegExp(`^[${pyWhitespace}]+`, "u");
const trailingSpace = new RegExp(`[${pyWhitespace}]+$`, "u");

/** Python's `str.strip()`. */
export const pyStrip = (text: string): string =>
  text.replace(leadingSpace, "").replace(trailingSpace, "");

const number = /-?\d[\d,]*(?:\.\d+)?/gu;

/** Characters a `\` may precede outside a class in a u-mode pattern (ECMAScript SyntaxCharacter and `/`). */
const syntaxCharacters = new Set("^$\\.*+?()[]{}|/");
/** Inside a class, u mode also accepts `\-`. */
const classSyntaxCharacters = new Set([...syntaxCharacters, "-"]);
const asciiPunctuation = /^[!-/:-@[-`{-~]$/;

/**
 * A Python `re` pattern as an ECMAScript source and flags for the u flag: a leading global `(?i)`,
 * `(?m)` or `(?s)`; `(?P<name>` and `(?P=name)`; `\A` and `\Z`; Python's `$` (end, or before a
 * final newline, unless multiline); and escaped punctuation that u mode rejects (`\-`, `\,`, `\:`)
 * unescaped. Other differences remain: `\d`, `\w` and `\b` are ASCII here and Unicode in Python.
 */
export function translatePattern(pattern: string): { source: string; flags: string } {
  let flags = "";
  let rest = pattern;
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (inline) {
    for (const flag of inline[1] as string) {
      if (flag !== "i" && flag !== "m" && flag !== "s")
        throw new SyntaxError(`unsupported inline flag (?${flag})`);
      if (!flags.includes(flag)) flags += flag;
    }
    rest = rest.slice(inline[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const char = rest[i] as string;
    if (char === "\\") {
      const next = rest[i + 1] ?? "";
      i++;
      if (!inClass && next === "A") out += "(?<![\\s\\S])";
      else if (!inClass && next === "Z") out += "(?![\\s\\S])";
      else if (
        asciiPunctuation.test(next) &&
        !(inClass ? classSyntaxCharacters : syntaxCharacters).has(next)
      )
        out += next;
      else out += char + next;
    } else if (inClass) {
      if (char === "]") inClass = false;
      out += char;
    } else if (char === "[") {
      inClass = true;
      out += char;
      if (rest[i + 1] === "^") out += rest[++i];
      // A `]` right after `[` or `[^` is a literal in Python.
      if (rest[i + 1] === "]") out += `\\${rest[++i]}`;
    } else if (char === "$" && !flags.includes("m")) {
      out += "(?=\\n?(?![\\s\\S]))";
    } else if (rest.startsWith("(?P<", i)) {
      out += "(?<";
      i += 3;
    } else if (rest.startsWith("(?P=", i)) {
      const end = rest.indexOf(")", i);
      if (end < 0) throw new SyntaxError("unterminated (?P=name)");
      out += `\\k<${rest.slice(i + 4, end)}>`;
      i = end;
    } else {
      out += char;
    }
  }
  return { source: out, flags };
}

/**
 * Why a pattern risks catastrophic backtracking, or undefined: a group that repeats (`*`, `+`,
 * `{n,}`, `{n,m}` with m > 1) and itself holds a quantifier, as in `(a+)+` or `(\w+\s?)*`. A
 * heuristic, not a proof: overlapping alternatives under a repeat (`(a|a)*`) pass, and the input
 * cap (`maxRegexInput`) bounds what they cost.
 */
export function backtrackingRisk(source: string): string | undefined {
  // For each open group: whether it holds a quantifier so far.
  const groups: boolean[] = [];
  let lastGroupQuantified = false;
  let previous: "group" | "atom" | "none" = "none";
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    const quantifier = /^(?:[*+?]|\{\d+(?:,\d*)?\})/.exec(source.slice(i))?.[0];
    if (quantifier !== undefined && previous !== "none") {
      const bounds = /^\{(\d+)(,(\d*))?\}$/.exec(quantifier);
      const most = bounds ? Number(bounds[2] === undefined ? bounds[1] : bounds[3] || Infinity) : 0;
      const repeats = quantifier === "*" || quantifier === "+" || most > 1;
      if (previous === "group" && lastGroupQuantified && repeats) {
        return `a repeated group holds a quantifier (at character ${i + 1}: '${source.slice(0, i + quantifier.length).slice(-40)}')`;
      }
      if (groups.length > 0) groups[groups.length - 1] = true;
      i += quantifier.length - 1;
      if (source[i + 1] === "?") i++; // lazy
      previous = "none";
      continue;
    }
    if (char === "\\") {
      i++;
      previous = "atom";
    } else if (char === "[") {
      // Skip the class: `]` first (or after `^`) is a literal only in Python, translated already.
      for (i++; i < source.length && source[i] !== "]"; i++) if (source[i] === "\\") i++;
      previous = "atom";
    } else if (char === "(") {
      groups.push(false);
      previous = "none";
    } else if (char === ")") {
      lastGroupQuantified = groups.pop() ?? false;
      if (groups.length > 0 && lastGroupQuantified) groups[groups.length - 1] = true;
      previous = "group";
    } else if (char === "|") {
      previous = "none";
    } else {
      previous = "atom";
    }
  }
  return undefined;
}

/**
 * Compiles a pattern from a suite (untrusted): at most `maxPatternLength` characters, Python
 * syntax translated (`translatePattern`), no nested quantifiers (`backtrackingRisk`), compiled
 * with the `u` flag. Throws a `FilterError` saying what is wrong.
 */
export function compilePattern(pattern: string, field = ".pattern"): RegExp {
  if (pattern.length > maxPatternLength)
    throw new FilterError(
      field,
      `the pattern has ${pattern.length} characters (expected at most ${maxPatternLength})`,
    );
  let regex: RegExp;
  try {
    const { source, flags } = translatePattern(pattern);
    regex = new RegExp(source, `${flags}gu`);
  } catch (error) {
    throw new FilterError(
      field,
      `the pattern is not a valid regular expression: ${(error as Error).message}`,
    );
  }
  const risk = backtrackingRisk(regex.source);
  if (risk)
    throw new FilterError(
      field,
      `the pattern risks catastrophic backtracking: ${risk} (expected no quantifier inside a repeated group)`,
    );
  return regex;
}

/**
 * Python's `re.findall`: each match's text without groups, its one group with one, the tuple of
 * groups with several (an unmatched group is "").
 */
function findall(regex: RegExp, text: string): (string | string[])[] {
  const out: (string | string[])[] = [];
  for (const match of text.matchAll(regex)) {
    const groups = match.slice(1).map((g) => g ?? "");
    out.push(groups.length === 0 ? match[0] : groups.length === 1 ? (groups[0] as string) : groups);
  }
  return out;
}

/**
 * lm-evaluation-harness's RegexFilter (`lm_eval/filters/extraction.py`): `findall`, the match at
 * `group_select` (negative from the end), the first non-empty group of a tuple, stripped; the
 * fallback when nothing matched (or the index is out of range, where Python would raise).
 */
function regexStep(regex: RegExp, group: number, fallback: string): FilterChain {
  return (text) => {
    const matches = findall(regex, text.slice(0, maxRegexInput));
    const match = matches[group < 0 ? matches.length + group : group];
    if (match === undefined) return fallback;
    const chosen = Array.isArray(match) ? match.find((m) => m !== "") : match;
    return chosen === undefined ? fallback : pyStrip(chosen);
  };
}

const steps: { [K in FilterId]: (step: Extract<FilterStep, { filter: K }>) => FilterChain } = {
  regex: (step) =>
    regexStep(compilePattern(step.pattern), step.group ?? 0, step.fallback ?? invalidAnswer),
  // TakeFirstFilter (selection.py) picks the first of an item's samples; an item has one here.
  take_first: () => (text) => text,
  first_line: () => (text) => text.split(/\r\n|\r|\n/, 1)[0] as string,
  last_number: (step) => (text) => {
    const numbers = text.match(number);
    const last = numbers?.[numbers.length - 1];
    return last === undefined ? (step.fallback ?? invalidAnswer) : last.replaceAll(",", "");
  },
  strip: () => pyStrip,
  // LowercaseFilter (transformation.py): str.lower().
  lowercase: () => (text) => text.toLowerCase(),
  // WhitespaceFilter (extraction.py, registered as remove_whitespace): str.lstrip().
  remove_whitespace: () => (text) => text.replace(leadingSpace, ""),
};

export const filterIds = Object.keys(steps) as FilterId[];

/**
 * Compiles a chain once. Throws a `FilterError` whose `field` is the JSON path of the bad step
 * below the chain (e.g. `[1].pattern`).
 */
export function compileFilters(chain: readonly FilterStep[]): FilterChain {
  const compiled = chain.map((step, j) => {
    const make = steps[step.filter] as ((s: FilterStep) => FilterChain) | undefined;
    if (!make) throw new FilterError(`[${j}].filter`, `unknown filter '${step.filter}'`);
    try {
      return make(step);
    } catch (error) {
      if (error instanceof FilterError)
        throw new FilterError(`[${j}]${error.field}`, error.message);
      throw error;
    }
  });
  return (text) => compiled.reduce((out, step) => step(out), text);
}
