/**
 * npm start: evaluate the built-in default model on the smoke suite (unless a result exists),
 * build the leaderboard, and serve it on localhost.
 *
 *   npm start [-- --port N] [-- --no-serve] [-- --force]
 *
 * Environment: BENCH_RESULTS_DIR (default results/), BENCH_SITE_OUT (default site/dist), PORT.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "node_modules", ".bin");
const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "no-serve": { type: "boolean" },
    force: { type: "boolean" },
  },
});
const resultsDir = resolve(root, process.env.BENCH_RESULTS_DIR ?? "results");
const siteOut = resolve(root, process.env.BENCH_SITE_OUT ?? "site/dist");
const env = {
  ...process.env,
  PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
  BENCH_RESULTS_DIR: resultsDir,
  BENCH_SITE_OUT: siteOut,
  ASTRO_TELEMETRY_DISABLED: "1",
};

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(join(bin, command), args, { cwd, env, stdio: "inherit" });
    child.on("error", fail);
    child.on("exit", (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(" ")} exited with ${code}`)),
    );
  });
}

function freePort(preferred: number): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(freePort(0)));
    server.listen(preferred, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : preferred));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`astro preview exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within 30 s`);
}

const defaultResult = join(resultsDir, "bench", "tiny-random-llama", "smoke");
if (
  values.force ||
  !existsSync(defaultResult) ||
  !readdirSync(defaultResult).some((f) => f.endsWith(".json"))
) {
  console.log(
    "Evaluating the built-in default model (bench/tiny-random-llama, a pipeline check) on the smoke suite…",
  );
  await run(
    "bench",
    ["eval", "models/bench/tiny-random-llama.yaml", "--suite", "smoke", "--out", resultsDir],
    root,
  );
} else {
  console.log(
    `Using the existing default result in ${defaultResult} (npm start -- --force evaluates again).`,
  );
}
console.log("Building the leaderboard (every result's signature is verified)…");
await run("astro", ["build"], join(root, "site"));
if (values["no-serve"]) {
  console.log(`Built ${siteOut}`);
} else {
  const port = await freePort(Number(values.port ?? process.env.PORT ?? 4321));
  const url = `http://127.0.0.1:${port}/`;
  const preview = spawn(
    join(bin, "astro"),
    ["preview", "--ignore-lock", "--host", "127.0.0.1", "--port", String(port)],
    {
      cwd: join(root, "site"),
      env,
      stdio: ["ignore", "ignore", "inherit"],
      detached: true,
    },
  );
  const stop = () => {
    if (preview.exitCode === null && preview.pid) process.kill(-preview.pid, "SIGTERM");
  };
  process.on("SIGINT", () => process.exit(130));
  process.on("SIGTERM", () => process.exit(143));
  process.on("exit", stop);
  await waitForHttp(url, preview);
  console.log(`Leaderboard: ${url}  (Ctrl-C to stop)`);
  preview.on("exit", (code) => process.exit(code ?? 0));
}
