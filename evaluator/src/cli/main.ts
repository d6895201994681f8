import { evaluatorVersion } from "../env/fingerprint.ts";
import { BenchError } from "../errors/index.ts";
import { unknownIdMessage } from "../pure/did-you-mean.ts";
import { printable } from "../pure/text.ts";
import { debugRequested, splitGlobalFlags } from "./args.ts";
import { topLevelUsage } from "./help.ts";
import { type CommandName, commandSpecs } from "./options.ts";
import { crashHandler, reportError } from "./report.ts";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

type Run = (argv: string[], io: Io, env: NodeJS.ProcessEnv) => Promise<number>;

// Each command loads only its own modules: `validate` never loads the runner or the verifier.
const runners: Record<CommandName, () => Promise<Run>> = {
  validate: async () => (await import("./commands/validate.ts")).validateCommand,
  eval: async () => (await import("./commands/eval.ts")).evalCommand,
  load: async () => (await import("./commands/load.ts")).loadCommand,
  verify: async () => (await import("./commands/verify.ts")).verifyCommand,
  compare: async () => (await import("./commands/compare.ts")).compareCommand,
  key: async () => (await import("./commands/key.ts")).keyCommand,
};

/**
 * Runs the CLI; returns the exit code. User mistakes print a message and a hint, never a stack;
 * any other exception is one `internal error` line. `--debug` (or BENCH_DEBUG=1) adds stacks.
 */
export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { debug: debugFlag, rest } = splitGlobalFlags(argv);
  let debug = debugFlag;
  try {
    debug = debugRequested(debugFlag, env);
    const [name, ...args] = rest;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.stdout.write(topLevelUsage());
      return name === undefined ? 2 : 0;
    }
    if (name === "--version") {
      io.stdout.write(`${evaluatorVersion()}\n`);
      return 0;
    }
    if (!Object.hasOwn(runners, name))
      throw new BenchError(
        "E_USAGE",
        `bench: ${unknownIdMessage("command", printable(name), Object.keys(commandSpecs))}`,
        { hint: "run bench --help" },
      );
    const run = await runners[name as CommandName]();
    return await run(args, io, env);
  } catch (error) {
    return reportError(error, io, debug);
  }
}

/** The `bench` executable: reports stray async failures like main() does, sets the exit code. */
export async function runBench(argv: string[]): Promise<void> {
  const io = { stdout: process.stdout, stderr: process.stderr };
  let debug = splitGlobalFlags(argv).debug;
  try {
    debug = debugRequested(debug, process.env);
  } catch {
    // main() reports a bad BENCH_DEBUG
  }
  const crash = crashHandler(io, debug);
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  process.exitCode = await main(argv, io);
}
