import { describe, expect, it } from "vitest";
import {
  backtrackingRisk,
  compileFilters,
  compilePattern,
  FilterError,
  type FilterStep,
  filterIds,
  maxRegexInput,
  pyStrip,
  translatePattern,
} from "./filters.ts";

const run = (chain: FilterStep[], text: string) => compileFilters(chain)(text);

// Expected values follow lm-evaluation-harness: lm_eval/filters/extraction.py (RegexFilter,
// WhitespaceFilter), transformation.py (LowercaseFilter), selection.py (TakeFirstFilter), and the
// GSM8K task's strict-match and flexible-extract chains (tasks/gsm8k/gsm8k.yaml).
describe("regex (RegexFilter: findall, group_select, first non-empty group, strip, fallback)", () => {
  const gsm8kStrict = "#### (\\-?[0-9\\.\\,]+)";
  const gsm8kFlexible = "(-?[$0-9.,]{2,})|(-?[0-9]+)";
  it.each<[string, Omit<Extract<FilterStep, { filter: "regex" }>, "filter">, string, string]>([
    ["strict-match", { pattern: gsm8kStrict }, "so 3 + 4 = 7\n#### 7", "7"],
    ["strict-match, negative with commas", { pattern: gsm8kStrict }, "#### -1,234", "-1,234"],
    ["strict-match, no match: fallback", { pattern: gsm8kStrict }, "the answer is 7", "[invalid]"],
    ["custom fallback", { pattern: gsm8kStrict, fallback: "none" }, "seven", "none"],
    [
      "flexible-extract takes the last match",
      { pattern: gsm8kFlexible, group: -1 },
      "3 apples, 4 pears: 7",
      "7",
    ],
    [
      "flexible-extract, first of two groups empty",
      { pattern: gsm8kFlexible, group: -1 },
      "$1,000 and 5",
      "5",
    ],
    [
      "flexible-extract, the match of the first group",
      { pattern: gsm8kFlexible, group: -1 },
      "it costs $12.",
      "$12.",
    ],
    ["no group: the whole match", { pattern: "[A-D]\\b" }, "I pick B then C", "B"],
    ["group 1: the second match", { pattern: "[A-D]\\b", group: 1 }, "I pick B then C", "C"],
    ["an index past the matches: fallback", { pattern: "[A-D]\\b", group: 5 }, "B", "[invalid]"],
    ["the match is stripped", { pattern: "answer:(.*)" }, "answer:  Paris \n", "Paris"],
    ["leading (?i)", { pattern: "(?i)answer is (\\w+)" }, "The Answer Is yes", "yes"],
    ["(?P<name>...)", { pattern: "(?P<n>\\d+)" }, "x 42", "42"],
    ["Python $ matches before a final newline", { pattern: "(\\d+)$" }, "1 and 2\n", "2"],
    ["\\A anchors at the start", { pattern: "\\A(\\w+)" }, "first second", "first"],
  ])("%s", (_name, options, text, expected) => {
    expect(run([{ filter: "regex", ...options }], text)).toBe(expected);
  });

  it("runs on at most the first maxRegexInput characters of its input", () => {
    const text = `${"x".repeat(maxRegexInput)} 42`;
    expect(run([{ filter: "regex", pattern: "\\d+" }], text)).toBe("[invalid]");
    expect(run([{ filter: "regex", pattern: "\\d+" }], text.slice(3))).toBe("42");
  });
});

describe("the other steps", () => {
  it.each<[FilterStep, string, string]>([
    // TakeFirstFilter keeps the first of an item's samples; an item has one.
    [{ filter: "take_first" }, " a\nb ", " a\nb "],
    [{ filter: "first_line" }, "Paris\nis the capital", "Paris"],
    [{ filter: "first_line" }, "Paris\r\nRome", "Paris"],
    [{ filter: "first_line" }, "", ""],
    [{ filter: "last_number" }, "She had 1,234 apples, then 2,000.5 more.", "2000.5"],
    [{ filter: "last_number" }, "it is -7", "-7"],
    [{ filter: "last_number" }, "no numbers", "[invalid]"],
    [{ filter: "last_number", fallback: "" }, "no numbers", ""],
    [{ filter: "strip" }, "\u3000\t Paris \n\x1c", "Paris"],
    [{ filter: "lowercase" }, "PaRiS Ä", "paris ä"],
    // WhitespaceFilter is str.lstrip(): trailing whitespace stays.
    [{ filter: "remove_whitespace" }, "  \n Paris ", "Paris "],
  ])("%j on %j gives %j", (step, text, expected) => {
    expect(run([step], text)).toBe(expected);
  });

  it("applies a chain in order", () => {
    const chain: FilterStep[] = [
      { filter: "first_line" },
      { filter: "regex", pattern: "is (\\w+)" },
      { filter: "lowercase" },
    ];
    expect(run(chain, "The answer is PARIS.\nThe answer is rome.")).toBe("paris");
    expect(run([], " unchanged ")).toBe(" unchanged ");
  });

  it("lists every step", () => {
    expect(filterIds).toEqual([
      "regex",
      "take_first",
      "first_line",
      "last_number",
      "strip",
      "lowercase",
      "remove_whitespace",
    ]);
  });

  it("strips Python's whitespace, not JavaScript's (U+FEFF is not space in Python)", () => {
    expect(pyStrip("\ufeffx\x85")).toBe("\ufeffx");
  });
});

describe("patterns from suites are checked when the task loads", () => {
  it.each([
    ["(a+)+b", "a repeated group holds a quantifier"],
    ["(\\w+\\s?)*$", "a repeated group holds a quantifier"],
    ["(?:x(?:ab*)){2,}", "a repeated group holds a quantifier"],
    ["((a)*)+", "a repeated group holds a quantifier"],
  ])("rejects %s", (pattern, problem) => {
    expect(() => compilePattern(pattern)).toThrow(problem);
  });

  it.each([
    "#### (\\-?[0-9\\.\\,]+)",
    "(-?[$0-9.,]{2,})|(-?[0-9]+)",
    "(\\d+)?",
    "(?:ab)+c",
    "(a+){1}",
    "[(+*]+",
    "\\(a+\\)+",
  ])("accepts %s", (pattern) => {
    expect(backtrackingRisk(compilePattern(pattern).source)).toBeUndefined();
  });

  it("names the field of a bad step and says what is wrong", () => {
    const bad = (chain: FilterStep[]) => {
      try {
        compileFilters(chain);
      } catch (error) {
        return error instanceof FilterError ? `${error.field}: ${error.message}` : error;
      }
      return "no error";
    };
    expect(bad([{ filter: "strip" }, { filter: "regex", pattern: "(unclosed" }])).toMatch(
      /^\[1\]\.pattern: the pattern is not a valid regular expression: /,
    );
    expect(bad([{ filter: "regex", pattern: "x".repeat(257) }])).toBe(
      "[0].pattern: the pattern has 257 characters (expected at most 256)",
    );
    expect(bad([{ filter: "regex", pattern: "(?x)a" }])).toBe(
      "[0].pattern: the pattern is not a valid regular expression: unsupported inline flag (?x)",
    );
    expect(bad([{ filter: "regex", pattern: "(a*)*" }])).toBe(
      "[0].pattern: the pattern risks catastrophic backtracking: a repeated group holds a quantifier (at character 5: '(a*)*') (expected no quantifier inside a repeated group)",
    );
    expect(bad([{ filter: "strp" } as unknown as FilterStep])).toBe(
      "[0].filter: unknown filter 'strp'",
    );
  });

  it("translates Python syntax for the u flag", () => {
    expect(translatePattern("(?is)\\-[\\,\\-]\\:(?P<a>x)(?P=a)\\Z")).toEqual({
      source: "-[,\\-]:(?<a>x)\\k<a>(?![\\s\\S])",
      flags: "is",
    });
  });
});
