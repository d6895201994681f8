import type { Dispatcher } from "undici";

/**
 * An HTTP answer read through undici's `dispatch` handlers rather than its Readable streams:
 * chunks go straight into a queue that the reader drains, which is what lets one process drive
 * thousands of streams (a load generator spends its time per event, not per stream object).
 */
export class AnswerBody implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #next = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #abort: ((reason?: unknown) => void) | undefined;

  /** The handler's side. */
  attach(abort: (reason?: unknown) => void): void {
    this.#abort = abort;
  }
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#notify();
  }
  end(): void {
    this.#ended = true;
    this.#notify();
  }
  fail(error: unknown): void {
    this.#error = error;
    this.#ended = true;
    this.#notify();
  }
  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.#next < this.#chunks.length) {
        const chunk = this.#chunks[this.#next++] as Buffer;
        if (this.#next > 64) {
          this.#chunks = this.#chunks.slice(this.#next);
          this.#next = 0;
        }
        yield chunk;
        continue;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Stops the answer: what has not arrived is dropped and the connection released. */
  destroy(): void {
    if (!this.#ended) this.#abort?.(new Error("the reader stopped"));
    this.#ended = true;
    this.#chunks = [];
    this.#next = 0;
  }

  /** Reads the rest, at most `limit` bytes, then stops. */
  async dump(options: { limit: number }): Promise<void> {
    let read = 0;
    for await (const chunk of this) {
      read += chunk.length;
      if (read > options.limit) {
        this.destroy();
        return;
      }
    }
  }
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AnswerBody;
}

/**
 * Sends a request through `dispatcher` and resolves at the answer's headers; the body follows in
 * `body`. A failure before the headers rejects (with undici's error and its `code`); one after
 * them fails the body's reader. `signal` aborts either way.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const body = new AnswerBody();
    let started = false;
    let settled = false;
    let abortRequest: ((reason?: unknown) => void) | undefined;
    // An abort before the request left the pool's queue: it must never go out, and the caller
    // must not wait for it.
    let abortedEarly = false;
    const onAbort = () => {
      if (abortRequest) {
        abortRequest(signal?.reason);
        return;
      }
      abortedEarly = true;
      if (!settled) {
        settled = true;
        reject(signal?.reason);
      }
    };
    const finish = () => signal?.removeEventListener("abort", onAbort);
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    dispatcher.dispatch(options, {
      onRequestStart(controller) {
        abortRequest = (reason) =>
          controller.abort(reason instanceof Error ? reason : new Error(String(reason)));
        body.attach(abortRequest);
        if (abortedEarly) abortRequest(signal?.reason);
      },
      onResponseStart(_controller, statusCode, headers) {
        started = true;
        if (settled) return;
        settled = true;
        resolve({
          statusCode,
          headers: headers as Record<string, string | string[] | undefined>,
          body,
        });
      },
      onResponseData(_controller, chunk) {
        body.push(chunk);
      },
      onResponseEnd() {
        finish();
        body.end();
      },
      onResponseError(_controller, error) {
        finish();
        if (started) body.fail(error);
        else if (!settled) {
          settled = true;
          reject(error);
        }
      },
    });
  });
}
