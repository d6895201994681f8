import type { GenerateOutcome, Json, Metric } from "./types.ts";

/**
 * The metrics that read a generation's outcome, by id: the `generate` task type offers exactly
 * these. One file per metric beside this one; add each here and in `registry.ts`.
 */
export const generateMetrics: Readonly<Record<string, Metric<GenerateOutcome, Json>>> = {};
