import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { evalSpec } from "../src/cli/options.ts";
import {
  markdownTable,
  markdownText,
  optionsTable,
  renderDocs,
  replaceSection,
} from "./gen-docs.ts";

describe("generated docs", () => {
  it.each(renderDocs())(
    "$path is up to date with the option tables and the error catalogue (else: npm run gen:docs)",
    ({ path, content }) => {
      expect(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8")).toBe(content);
    },
  );

  it("the README table lists every eval flag and its environment variable", () => {
    const table = optionsTable(evalSpec);
    for (const [flag, option] of Object.entries(evalSpec.options)) {
      expect(table).toContain(`\`--${flag}`);
      if ("env" in option) expect(table).toContain(`\`${option.env}\``);
    }
  });

  it.each([
    ["suite id from suites/, or a suite.yaml", "suite id from `suites/`, or a `suite.yaml`"],
    ["to <out>/<org>/x.json.", "to `<out>/<org>/x.json`."],
    ["(in $BENCH_HOME/keys) and BENCH_MIRROR,", "(in `$BENCH_HOME/keys`) and `BENCH_MIRROR`,"],
    ["(*.yaml under models/)", "(`*.yaml` under `models/`)"],
    ["plain words, no code", "plain words, no code"],
  ])("markdownText(%j)", (text, markdown) => {
    expect(markdownText(text)).toBe(markdown);
  });

  it("aligns tables and escapes pipes", () => {
    expect(markdownTable(["a", "long header"], [["`x|y`", ""]])).toBe(
      ["| a      | long header |", "| ------ | ----------- |", "| `x\\|y` |             |"].join(
        "\n",
      ),
    );
  });

  it("replaces only what stands between the markers, and names the file when they are missing", () => {
    const text = "before\n<!-- s:start -->\nold\n<!-- s:end -->\nafter\n";
    expect(replaceSection(text, "s", "new", "X.md")).toBe(
      "before\n<!-- s:start -->\nnew\n\n<!-- s:end -->\nafter\n",
    );
    expect(() => replaceSection("no markers", "s", "new", "X.md")).toThrow(
      "X.md: the markers <!-- s:start --> and <!-- s:end --> are missing or out of order",
    );
  });
});
