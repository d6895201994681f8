import { evaluatorVersion } from "../env/fingerprint.ts";
import { formatBenchError, isBenchError } from "../errors/index.ts";
import { unknownIdMessage } from "../pure/did-you-mean.ts";
import { evalCommand } from "./commands/eval.ts";
import { keyCommand } from "./commands/key.ts";
import { validateCommand } from "./commands/validate.ts";
import { verifyCommand } from "./commands/verify.ts";

const usage = `bench: benchmark-as-code for open-weight language models

Usage:
  bench validate [paths…]                    check manifests and suites against schemas/
  bench eval <manifest> --suite <id> [...]   evaluate a model, write a signed result
  bench verify [paths…]                      check result signatures and the trust list
  bench key [--owner <name>]                 print the signing key's trust-list entry
  bench <command> --help                     options of one command
  bench --version`;

const commands = {
  validate: validateCommand,
  eval: evalCommand,
  verify: verifyCommand,
  key: keyCommand,
} as const;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/** Runs the CLI; returns the exit code. User mistakes print a message and a hint, never a stack. */
export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.stdout.write(`${evaluatorVersion()}\n`);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) {
    io.stderr.write(`bench: ${unknownIdMessage("command", name, Object.keys(commands))}\n`);
    return 2;
  }
  try {
    return await commands[name as keyof typeof commands](rest, io);
  } catch (error) {
    if (isBenchError(error)) {
      io.stderr.write(`${formatBenchError(error)}\n`);
      return error.code === "E_USAGE" ? 2 : 1;
    }
    throw error;
  }
}
