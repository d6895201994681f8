import type { ResultDocument } from "../generated/result.ts";

type Comparison = NonNullable<ResultDocument["comparisons"]>[number];
type ModelRef = Comparison["judge"];

/** What the counts read of a sample: its task and status, and a pairwise judge item's record. */
export interface ComparedSample {
  task: string;
  status: string;
  [field: string]: unknown;
}

function modelRef(value: unknown): ModelRef | undefined {
  const v = value as Partial<Record<keyof ModelRef, unknown>> | null;
  if (typeof v?.id !== "string" || typeof v.manifestSha256 !== "string") return undefined;
  // A served model (backend openai) has no weights digest.
  return {
    id: v.id,
    manifestSha256: v.manifestSha256,
    ...(typeof v.weightsSha256 === "string" ? { weightsSha256: v.weightsSha256 } : {}),
  };
}

/**
 * The result's `comparisons`: per task, opponent and judge, the scored pairwise items' combined
 * verdicts (MT-Bench's: a win or a loss only when both orders agree), in order of first
 * appearance. Failed items and items of other task types are not counted.
 */
export function comparisonsOf(samples: readonly ComparedSample[]): Comparison[] {
  const found = new Map<string, Comparison>();
  for (const sample of samples) {
    if (sample.status !== "ok") continue;
    const combined = (sample.verdicts as { combined?: unknown } | undefined)?.combined;
    const opponent = modelRef((sample.baseline as { model?: unknown } | undefined)?.model);
    const judge = modelRef(sample.judge);
    if (!opponent || !judge || typeof combined !== "string") continue;
    const key = JSON.stringify([sample.task, opponent, judge]);
    let entry = found.get(key);
    if (!entry) {
      entry = { task: sample.task, opponent, judge, wins: 0, ties: 0, losses: 0 };
      found.set(key, entry);
    }
    if (combined === "win") entry.wins += 1;
    else if (combined === "loss") entry.losses += 1;
    else if (combined === "tie") entry.ties += 1;
  }
  return [...found.values()];
}
