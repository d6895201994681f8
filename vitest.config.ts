import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "evaluator/**/*.test.ts",
      "site/**/*.test.ts",
      "scripts/**/*.test.ts",
      "action/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
