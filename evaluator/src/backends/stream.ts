/**
 * An async iterable fed by a producer that pushes items as they happen (engine callbacks, SSE
 * events). The producer starts when iteration starts; its failure is thrown to the consumer after
 * the items pushed before it. Items wait in a queue while the consumer is busy.
 */
export function pushStream<T>(
  produce: (push: (item: T) => void) => Promise<void>,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const queue: T[] = [];
      let finished = false;
      let failure: { error: unknown } | undefined;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      produce((item) => {
        queue.push(item);
        notify();
      }).then(
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
            if (queue.length > 0) return { value: queue.shift() as T, done: false };
            if (finished) {
              if (failure) throw failure.error;
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        },
      };
    },
  };
}
