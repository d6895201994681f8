import type { H1Error, H1Pool, H1Request, RequestHandle, ResponseHandler } from "./h1.ts";

/** Chunks queued unread beyond which the connection stops reading until the reader starts. */
const highWater = 64;
/** Bytes read after a reader said the answer was whole, before the connection is closed. */
const maxTail = 65_536;

/**
 * `each`'s reader: it returns `true` when the answer is whole (a stream's `[DONE]`), so that
 * `each` resolves at once; the body's last bytes are then read in the background, bounded.
 * Anything else it returns means "go on".
 */
export type BodyReader = (chunk: Buffer) => unknown;

/**
 * An HTTP answer's body, read with `each`: chunks go straight from the connection's callbacks to
 * the reader, with no promise per chunk; those that arrive before it starts (with the head) wait
 * in a queue, and reading pauses while that queue is long. It is also the request's handler (one
 * object per request, no closures).
 */
export class AnswerBody implements ResponseHandler {
  #queued: Buffer[] = [];
  #ended = false;
  #error: unknown;
  #handle: RequestHandle | undefined;
  #paused = false;
  /** `each`'s reader, called with every chunk as it arrives. */
  #sink: BodyReader | undefined;
  #done: { resolve(): void; reject(error: unknown): void } | undefined;
  /** After the reader said the answer was whole: bytes of its tail read since. */
  #tail = -1;
  /** The head's promise, until the head comes. */
  #head: { resolve(answer: Answer): void; reject(error: unknown): void } | undefined;

  constructor(head?: { resolve(answer: Answer): void; reject(error: unknown): void }) {
    this.#head = head;
  }

  /** The connection's side. */
  attach(handle: RequestHandle): void {
    this.#handle = handle;
  }
  onHead(statusCode: number, headers: ReadonlyMap<string, string>): void {
    const head = this.#head;
    this.#head = undefined;
    head?.resolve({ statusCode, headers, body: this });
  }
  onData(chunk: Buffer): void {
    this.push(chunk);
  }
  onEnd(): void {
    this.end();
  }
  onError(error: H1Error): void {
    const head = this.#head;
    if (head) {
      // Before the head: the head's promise rejects (an abort's caller reports its signal's reason).
      this.#head = undefined;
      head.reject(error);
      return;
    }
    this.fail(error);
  }

  push(chunk: Buffer): void {
    if (this.#tail >= 0) {
      this.#tail += chunk.length;
      if (this.#tail > maxTail) this.destroy();
      return;
    }
    if (this.#sink) {
      this.#deliver(this.#sink, chunk);
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
   * body's end, or as soon as `read` returns `true`. A throw from `read` stops the answer (the
   * connection closes) and rejects with it.
   */
  each(read: BodyReader): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#done = { resolve, reject };
      const queued = this.#queued;
      this.#queued = [];
      for (const chunk of queued) {
        if (this.#tail >= 0) this.#tail += chunk.length;
        else if (!this.#deliver(read, chunk)) return;
      }
      if (this.#paused) {
        this.#paused = false;
        this.#handle?.resume();
      }
      if (this.#tail >= 0) return;
      if (this.#error !== undefined) reject(this.#error);
      else if (this.#ended) resolve();
      else this.#sink = read;
    });
  }

  /** Hands `chunk` to `read`; false when the reader threw (the answer is then stopped). */
  #deliver(read: BodyReader, chunk: Buffer): boolean {
    let whole: unknown;
    try {
      whole = read(chunk);
    } catch (error) {
      this.#stop(error);
      return false;
    }
    if (whole === true) this.#whole();
    return true;
  }

  /** The reader has the whole answer: `each` resolves; the rest is read and dropped, bounded. */
  #whole(): void {
    this.#sink = undefined;
    this.#tail = 0;
    const done = this.#done;
    this.#done = undefined;
    done?.resolve();
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
    const body = new AnswerBody({ resolve, reject });
    body.attach(pool.request(request, body, signal));
  });
}
