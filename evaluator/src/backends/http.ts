import type { H1Error, H1Pool, H1Request, RequestHandle } from "./h1.ts";

/** Chunks queued unread beyond which the connection stops reading until the reader starts. */
const highWater = 64;

/**
 * An HTTP answer's body, read with `each`: chunks go straight from the connection's callbacks to
 * the reader, with no promise per chunk; those that arrive before it starts (with the head) wait
 * in a queue, and reading pauses while that queue is long.
 */
export class AnswerBody {
  #queued: Buffer[] = [];
  #ended = false;
  #error: unknown;
  #handle: RequestHandle | undefined;
  #paused = false;
  /** `each`'s reader, called with every chunk as it arrives. */
  #sink: ((chunk: Buffer) => void) | undefined;
  #done: { resolve(): void; reject(error: unknown): void } | undefined;

  /** The connection's side. */
  attach(handle: RequestHandle): void {
    this.#handle = handle;
  }
  push(chunk: Buffer): void {
    if (this.#sink) {
      try {
        this.#sink(chunk);
      } catch (error) {
        this.#stop(error);
      }
      return;
    }
    if (this.#ended) return;
    // The connection reuses its read buffer: a queued chunk is a copy.
    this.#queued.push(Buffer.from(chunk));
    if (!this.#paused && this.#queued.length > highWater) {
      this.#paused = true;
      this.#handle?.pause();
    }
  }
  end(): void {
    this.#ended = true;
    this.#done?.resolve();
  }
  fail(error: unknown): void {
    if (this.#error === undefined) this.#error = error;
    this.#ended = true;
    this.#done?.reject(error);
  }

  /**
   * Hands every chunk to `read` synchronously as it arrives (queued ones first); resolves at the
   * body's end. A throw from `read` stops the answer (the connection closes) and rejects with it.
   */
  each(read: (chunk: Buffer) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#done = { resolve, reject };
      const queued = this.#queued;
      this.#queued = [];
      try {
        for (const chunk of queued) read(chunk);
      } catch (error) {
        this.#stop(error);
        return;
      }
      if (this.#error !== undefined) reject(this.#error);
      else if (this.#ended) resolve();
      else {
        this.#sink = read;
        if (this.#paused) {
          this.#paused = false;
          this.#handle?.resume();
        }
      }
    });
  }

  /** The reader threw: the answer stops and `each` rejects with the reader's error. */
  #stop(error: unknown): void {
    this.#sink = undefined;
    const done = this.#done;
    this.#done = undefined;
    this.destroy();
    done?.reject(error);
  }

  /** Stops the answer: what has not arrived is dropped and the connection closed. */
  destroy(): void {
    if (!this.#ended) this.#handle?.abort(new Error("the reader stopped"));
    this.#ended = true;
    this.#queued = [];
  }

  /** Reads the rest, at most `limit` bytes, then stops (closing the connection). */
  async dump(options: { limit: number }): Promise<void> {
    let read = 0;
    await this.each((chunk) => {
      read += chunk.length;
      if (read > options.limit) throw new RangeError("over the limit");
    }).catch((error: unknown) => {
      if (!(error instanceof RangeError)) throw error;
    });
  }
}

export interface Answer {
  statusCode: number;
  /** Names lower-cased. */
  headers: ReadonlyMap<string, string>;
  body: AnswerBody;
}

/**
 * Sends a request through `pool` and resolves at the answer's head; the body follows in `body`. A
 * failure before the head rejects with the H1Error (its `code` says why); one after it fails the
 * body's reader. `signal` aborts either way.
 */
export function sendRequest(
  pool: H1Pool,
  request: H1Request,
  signal?: AbortSignal,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const body = new AnswerBody();
    let started = false;
    const handle = pool.request(
      request,
      {
        onHead(statusCode, headers) {
          started = true;
          resolve({ statusCode, headers, body });
        },
        onData(chunk) {
          body.push(chunk);
        },
        onEnd() {
          body.end();
        },
        onError(error: H1Error) {
          if (started) body.fail(error);
          else reject(error.code === "H1_ABORTED" && signal?.aborted ? signal.reason : error);
        },
      },
      signal,
    );
    body.attach(handle);
  });
}
