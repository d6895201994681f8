import { defineConfig } from "astro/config";

const cache = process.env.BENCH_SITE_CACHE;

// No client JavaScript yet: the pages are plain HTML tables, so no framework integration.
// BENCH_SITE_CACHE gives concurrent builds (tests) their own caches.
export default defineConfig({
  output: "static",
  outDir: process.env.BENCH_SITE_OUT || "dist",
  build: { format: "directory" },
  ...(cache ? { cacheDir: `${cache}/astro`, vite: { cacheDir: `${cache}/vite` } } : {}),
});
