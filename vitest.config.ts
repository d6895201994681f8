import { defineConfig } from "vitest/config";

/** Tests that start the CLI, llama.cpp or astro as child processes: slow, so in their own project. */
const endToEnd = [
  "evaluator/test/hostile/**/*.test.ts",
  "evaluator/test/suites/**/*.test.ts",
  "evaluator/test/sandbox/**/*.test.ts",
  "evaluator/test/load/**/*.test.ts",
  "evaluator/src/runner/resume.test.ts",
  "site/test/**/*.test.ts",
  "scripts/**/*.test.ts",
];

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["evaluator/**/*.test.ts", "site/**/*.test.ts", "action/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", ...endToEnd],
        },
      },
      { extends: true, test: { name: "e2e", include: endToEnd } },
    ],
  },
});
