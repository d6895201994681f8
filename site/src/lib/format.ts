import type { Score, Signer } from "./load-results.ts";

/** Metrics whose values are proportions in [0, 1], shown as percentages. */
const proportionMetrics = new Set(["acc", "acc_norm"]);

/** What a page shows for a score whose value is null, and the title that explains it. */
export const noScore = {
  text: "—",
  title: "no item could be scored (every item of the task failed)",
};

/**
 * `62.5% ± 7.7` for proportions (value and stderr × 100), `1.234 ± 0.056` otherwise, `—` when no
 * item could be scored (pages add `noScore.title`).
 */
export function formatScore(score: Pick<Score, "metric" | "value" | "stderr">): string {
  if (score.value === null) return noScore.text;
  const percent = proportionMetrics.has(score.metric);
  const scale = percent ? 100 : 1;
  const digits = percent ? 1 : 3;
  const value = `${(score.value * scale).toFixed(digits)}${percent ? "%" : ""}`;
  if (score.stderr === null || !Number.isFinite(score.stderr)) return value;
  return `${value} ± ${(score.stderr * scale).toFixed(digits)}`;
}

/** `2026-05-01` from an ISO date-time, in UTC so the page does not depend on the build machine. */
export function formatDate(isoDateTime: string): string {
  const date = new Date(isoDateTime);
  return Number.isNaN(date.getTime()) ? isoDateTime : date.toISOString().slice(0, 10);
}

/** `trusted: <owner>`, or `untrusted local key <keyId>`. */
export function formatSigner(signer: Signer): string {
  if (signer.status === "trusted") return `trusted: ${signer.owner ?? signer.name ?? signer.keyId}`;
  return `untrusted ${signer.kind} key ${signer.keyId}`;
}

export function direction(higherIsBetter: boolean): string {
  return higherIsBetter ? "higher is better" : "lower is better";
}

/** Bytes as `15.6 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A measured performance figure, at most four significant digits. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toPrecision(4);
}
