import { BenchError } from "../errors/index.ts";
import type { GenerateRequest, LoadedModel, StreamPart } from "./types.ts";

/**
 * An async iterable fed by a producer that pushes items as they happen (engine callbacks). The
 * producer starts when iteration starts; its failure is thrown to the consumer after the items
 * pushed before it. Items wait in a queue while the consumer is busy. A consumer that stops early
 * aborts the producer's signal, so that the work behind it stops too.
 */
export function pushStream<T>(
  produce: (push: (item: T) => void, signal: AbortSignal) => Promise<void>,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let head = 0;
      const stopped = new AbortController();
      let finished = false;
      let failure: { error: unknown } | undefined;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      produce((item) => {
        if (!stopped.signal.aborted) queue.push(item);
        notify();
      }, stopped.signal).then(
        () => {
          finished = true;
          notify();
        },
        (error: unknown) => {
          failure = { error };
          finished = true;
          notify();
        },
      );
      return {
        async next(): Promise<IteratorResult<T>> {
          for (;;) {
            if (head < queue.length) {
              const value = queue[head++] as T;
              if (head > 64) {
                queue.splice(0, head);
                head = 0;
              }
              return { value, done: false };
            }
            if (finished) {
              if (failure) throw failure.error;
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        },
        async return(): Promise<IteratorResult<T>> {
          stopped.abort(new Error("the consumer stopped reading"));
          queue.length = 0;
          head = 0;
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/**
 * `stream()` for a model that pushes its parts (`streamTo`): an async iterable over them, whose
 * early stop (or `signal`) aborts the generation.
 */
export function streamFrom(
  streamTo: PushParts,
  request: GenerateRequest,
  signal?: AbortSignal,
): AsyncIterable<StreamPart> {
  return pushStream<StreamPart>((push, stopped) =>
    streamTo(request, push, signal ? AbortSignal.any([signal, stopped]) : stopped),
  );
}

/** A streamed generation in push form: parts go to `onPart`; resolves after the finish part. */
export type PushParts = (
  request: GenerateRequest,
  onPart: (part: StreamPart) => void,
  signal: AbortSignal,
) => Promise<void>;

/** A model's stream in push form: its own `streamTo`, else its `stream` read part by part. */
export function pushParts(model: LoadedModel): PushParts | undefined {
  if (model.streamTo) return model.streamTo.bind(model);
  const stream = model.stream?.bind(model);
  if (!stream) return undefined;
  return async (request, onPart, signal) => {
    for await (const part of stream(request, signal)) onPart(part);
  };
}

/** Runs work one piece at a time, in call order; a failure does not block what comes after. */
export class Serial {
  #queue: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * A generation prompt that leaves room for `maxTokens` in a context of `contextSize`: where the
 * request allows it (`truncate: "left"`), tokens are cut after the first `kept` (BOS) as
 * lm-evaluation-harness's generate_until keeps the last max_length - max_gen_toks; else, or where
 * nothing would be left, E_CONTEXT_OVERFLOW.
 */
export function fitPrompt<T extends number>(
  prompt: T[],
  request: { maxTokens: number; truncate?: "left" },
  contextSize: number,
  kept: number,
): T[] {
  const over = prompt.length + request.maxTokens - contextSize;
  if (over <= 0) return prompt;
  if (request.truncate === "left" && prompt.length - over > kept) {
    return [...prompt.slice(0, kept), ...prompt.slice(kept + over)];
  }
  throw new BenchError(
    "E_CONTEXT_OVERFLOW",
    `item needs ${prompt.length} prompt tokens and up to ${request.maxTokens} generated, but the context holds ${contextSize}`,
    {
      hint: "raise backend.contextSize in the model manifest, or lower the task's generation.maxTokens",
    },
  );
}
