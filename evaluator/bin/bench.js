#!/usr/bin/env node
// Plain JavaScript so that an old Node gets a clear message instead of a syntax error.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `bench needs Node >= 22.18 (this is ${process.versions.node}).\n` +
      "hint: run it through npm from the repository (npx bench …, npm start), which uses the pinned Node 26\n",
  );
  process.exit(2);
}
// Node keeps the transpiled and compiled sources in its compile cache (the OS temp folder), which
// takes about 0.2 s off every start; a stale entry is ignored, as the cache is keyed by content.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
const { runBench } = await import("../src/cli/main.ts");
await runBench(process.argv.slice(2));
