import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderTypes, schemaNames } from "./gen-types.ts";

describe("generated types", () => {
  it.each(schemaNames)(
    "evaluator/src/generated/%s.ts is up to date with schemas/ (else: npm run gen:types)",
    async (name) => {
      const committed = readFileSync(
        new URL(`../src/generated/${name}.ts`, import.meta.url),
        "utf8",
      );
      expect(committed).toBe(await renderTypes(name));
    },
  );
});
