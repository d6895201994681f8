import { describe, expect, it } from "vitest";
import { comparisonsOf } from "./comparisons.ts";

const judge = { id: "x/judge", manifestSha256: "a", weightsSha256: "b", purpose: "evaluation" };
const baseline = (id: string) => ({
  answer: "…",
  model: { id, manifestSha256: "c", weightsSha256: "d", purpose: "pipeline-check" },
});
/** A pairwise judge item as the judge task records it. */
const item = (task: string, combined: string, opponent = "bench/base", status = "ok") => ({
  task,
  status,
  verdicts: { first: combined, second: combined, combined },
  judge,
  baseline: baseline(opponent),
});

describe("a result's comparisons", () => {
  it("counts combined verdicts per task, opponent and judge; failed and single items are not counted", () => {
    const samples = [
      item("pairwise", "win"),
      item("pairwise", "win"),
      item("pairwise", "tie"),
      item("pairwise", "loss"),
      item("pairwise", "win", "bench/base", "error"),
      item("pairwise", "loss", "other/base"),
      { task: "single", status: "ok", rating: 7, judge },
      { task: "mc", status: "ok", scores: { acc: 1 } },
    ];
    expect(comparisonsOf(samples)).toEqual([
      {
        task: "pairwise",
        opponent: { id: "bench/base", manifestSha256: "c", weightsSha256: "d" },
        judge: { id: "x/judge", manifestSha256: "a", weightsSha256: "b" },
        wins: 2,
        ties: 1,
        losses: 1,
      },
      {
        task: "pairwise",
        opponent: { id: "other/base", manifestSha256: "c", weightsSha256: "d" },
        judge: { id: "x/judge", manifestSha256: "a", weightsSha256: "b" },
        wins: 0,
        ties: 0,
        losses: 1,
      },
    ]);
    expect(comparisonsOf([])).toEqual([]);
  });
});
