/** Progress on stderr: a redrawn bar on a TTY, a plain line every few seconds otherwise. */
export interface Progress {
  start(total: number, label: string): void;
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
  const tty = stream.isTTY === true;
  return {
    start(count, name) {
      total = count;
      label = name;
      startedAt = performance.now();
      lastLine = 0;
      if (!tty) stream.write(`${label}: 0/${total}\n`);
    },
    tick(done, note = "") {
      const elapsed = (performance.now() - startedAt) / 1000;
      const rate = done / Math.max(elapsed, 1e-9);
      const eta = (total - done) / rate;
      const stats = `${done}/${total} ${rate.toFixed(1)} items/s eta ${format(eta)}${note ? ` ${note}` : ""}`;
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
