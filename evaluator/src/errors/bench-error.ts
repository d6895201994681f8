import { type ErrorCode, errorCatalogue } from "./catalogue.ts";

/**
 * The one error type of the evaluator. `code` is stable and listed in the catalogue (callers and
 * tests branch on it); `message` says what happened and names the file, field, flag or URL;
 * `hint` says what to do.
 */
export class BenchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BenchError";
    this.code = code;
    this.hint = options.hint;
  }

  /** Process exit status for this error: 2 for usage errors, 1 otherwise. */
  get exitCode(): 1 | 2 {
    return errorCatalogue[this.code].exit;
  }
}

/** A backend request that may succeed when tried again (network, server busy). */
export class RetryableBackendError extends BenchError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("E_BACKEND_RETRYABLE", message, options);
    this.name = "RetryableBackendError";
  }
}

export function isBenchError(error: unknown): error is BenchError {
  return error instanceof BenchError;
}

/** One line per problem, then the hint: what a user sees for a BenchError. */
export function formatBenchError(error: BenchError): string {
  return error.hint ? `${error.message}\nhint: ${error.hint}` : error.message;
}
