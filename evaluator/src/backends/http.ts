import type { H1Error, H1Pool, H1Request, RequestHandle } from "./h1.ts";

/** Chunks queued unread beyond which the connection stops reading until the reader catches up. */
const highWater = 64;

/**
 * An HTTP answer's body as an async iterable: chunks go straight from the connection's callbacks
 * into a queue that the reader drains (reading pauses while the queue is long).
 */
export class AnswerBody implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #next = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #handle: RequestHandle | undefined;
  #paused = false;
  /** `each`'s reader, called with every chunk as it arrives. */
  #sink: ((chunk: Buffer) => void) | undefined;
  #sinkDone: { resolve(): void; reject(error: unknown): void } | undefined;

  /** The connection's side. */
  attach(handle: RequestHandle): void {
    this.#handle = handle;
  }
  push(chunk: Buffer): void {
    if (this.#sink) {
      try {
        this.#sink(chunk);
      } catch (error) {
        this.#failSink(error);
      }
      return;
    }
    // The connection reuses its read buffer: a queued chunk is a copy.
    this.#chunks.push(Buffer.from(chunk));
    if (!this.#paused && this.#chunks.length - this.#next > highWater) {
      this.#paused = true;
      this.#handle?.pause();
    }
    this.#notify();
  }
  end(): void {
    this.#ended = true;
    this.#sinkDone?.resolve();
    this.#notify();
  }
  fail(error: unknown): void {
    this.#error = error;
    this.#ended = true;
    this.#sinkDone?.reject(error);
    this.#notify();
  }

  /**
   * Hands every chunk to `read` synchronously as it arrives (queued ones first), with no promise
   * per chunk; resolves at the body's end. A throw from `read` stops the answer and rejects.
   */
  each(read: (chunk: Buffer) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#sinkDone = { resolve, reject };
      try {
        for (; this.#next < this.#chunks.length; this.#next++)
          read(this.#chunks[this.#next] as Buffer);
      } catch (error) {
        this.#failSink(error);
        return;
      }
      this.#chunks = [];
      this.#next = 0;
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

  #failSink(error: unknown): void {
    this.#sink = undefined;
    const done = this.#sinkDone;
    this.#sinkDone = undefined;
    this.destroy();
    done?.reject(error);
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
      if (this.#paused) {
        this.#paused = false;
        this.#handle?.resume();
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Stops the answer: what has not arrived is dropped and the connection closed. */
  destroy(): void {
    if (!this.#ended) this.#handle?.abort(new Error("the reader stopped"));
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
  /** Names lower-cased. */
  headers: Map<string, string>;
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
