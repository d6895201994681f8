import { mean, meanStderr } from "../stats.ts";
import type { Aggregate } from "./types.ts";

/** Numbers that are finite: what a mean metric stores per item. */
export const isFiniteNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);

/** The mean of item scores with lm-evaluation-harness's `mean_stderr`; null for no items. */
export function meanAggregate(items: readonly number[]): Aggregate {
  return items.length === 0
    ? { value: null, stderr: null }
    : { value: mean(items), stderr: meanStderr(items) };
}
