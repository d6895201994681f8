import { isBenchError } from "../errors/index.ts";

interface ErrorSink {
  stderr: NodeJS.WritableStream;
}

/** At most this many lines of one error's problems are printed, then a count of the rest. */
export const maxProblemLines = 20;

/**
 * `lines`, or its first `max` and a count of the rest: a hostile file can break a rule thousands
 * of times, and one screen of problems says as much as all of them.
 */
export function capLines(lines: readonly string[], max = maxProblemLines): string[] {
  if (lines.length <= max) return [...lines];
  return [...lines.slice(0, max), `… and ${lines.length - max} more problems`];
}

// A cause chain is walked with a visited set and a depth bound: causes can be cyclic.
const maxCauses = 16;

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return String(value);
  } catch {
    return "a value that cannot be printed was thrown";
  }
}

/** The stack of an error, then of each `cause`. */
export function stackWithCauses(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && !seen.has(current) && parts.length <= maxCauses) {
    seen.add(current);
    const text =
      current instanceof Error
        ? (current.stack ?? `${current.name}: ${current.message}`)
        : describe(current);
    parts.push(parts.length === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\n");
}

/**
 * Prints an error the way bench reports it and returns the exit status. A BenchError is a
 * message and a hint (exit 2 for usage, else 1); anything else is a bug in bench, shown as one
 * line. With `debug`, the stack and cause chain follow either.
 */
export function reportError(error: unknown, io: ErrorSink, debug: boolean): number {
  if (isBenchError(error)) {
    const text = capLines(error.message.split("\n")).join("\n");
    io.stderr.write(`${error.hint ? `${text}\nhint: ${error.hint}` : text}\n`);
    if (debug) io.stderr.write(`${stackWithCauses(error)}\n`);
    return error.exitCode;
  }
  const message = describe(error).replace(/\s*\n\s*/g, " ");
  if (debug)
    io.stderr.write(
      `bench: internal error E_INTERNAL: ${message} (please report it)\n${stackWithCauses(error)}\n`,
    );
  else
    io.stderr.write(
      `bench: internal error E_INTERNAL: ${message} (run again with --debug for the stack; please report it)\n`,
    );
  return 1;
}

/** For `uncaughtException` and `unhandledRejection`: report like main() does, then exit. */
export function crashHandler(
  io: ErrorSink,
  debug: boolean,
  exit: (code: number) => void = (code) => process.exit(code),
): (error: unknown) => void {
  return (error) => exit(reportError(error, io, debug));
}
