import { defineConfig } from "astro/config";

// No client JavaScript yet: the pages are plain HTML tables, so no framework integration.
export default defineConfig({
  output: "static",
  outDir: process.env.BENCH_SITE_OUT || "dist",
  build: { format: "directory" },
});
