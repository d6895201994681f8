/** Progress on stderr: a redrawn bar on a TTY, a plain line every few seconds otherwise. */
export interface Progress {
  /** `resumed` items came from a journal: they count as done but not towards the rate. */
  start(total: number, label: string, resumed?: number): void;
  tick(done: number, note?: string): void;
  finish(message: string): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, finish() {} };

function format(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function createProgress(
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 2000,
): Progress {
  let total = 0;
  let label = "";
  let startedAt = 0;
  let lastLine = 0;
  let resumed = 0;
  const tty = stream.isTTY === true;
  const render = (done: number, note: string) => {
    const elapsed = (performance.now() - startedAt) / 1000;
    // The rate counts only items evaluated by this process, not those resumed from a journal.
    const rate = (done - resumed) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const from = resumed > 0 ? ` (${resumed} resumed)` : "";
    return `${done}/${total}${from} ${rate.toFixed(1)} items/s eta ${format(eta)}${note ? ` ${note}` : ""}`;
  };
  return {
    start(count, name, already = 0) {
      total = count;
      label = name;
      resumed = already;
      startedAt = performance.now();
      lastLine = 0;
      if (!tty)
        stream.write(`${label}: ${already}/${total}${already ? ` (${already} resumed)` : ""}\n`);
    },
    tick(done, note = "") {
      const stats = render(done, note);
      if (tty) {
        const width = 28;
        const filled = Math.round((done / Math.max(total, 1)) * width);
        stream.write(
          `\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${stats}\x1b[K`,
        );
      } else if (performance.now() - lastLine >= intervalMs || done === total) {
        lastLine = performance.now();
        stream.write(`${label}: ${stats}\n`);
      }
    },
    finish(message) {
      stream.write(tty ? `\r${message}\x1b[K\n` : `${message}\n`);
    },
  };
}
