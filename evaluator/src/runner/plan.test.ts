import { describe, expect, it } from "vitest";
import { mcTask, planInput } from "../../test/fixtures.ts";
import { plan } from "./plan.ts";

const indices = (p: ReturnType<typeof plan>) => p.tasks.map((t) => t.items.map((i) => i.index));

describe("plan stage", () => {
  it("plans every item of every task, in dataset order", () => {
    const p = plan(
      planInput([
        [mcTask("a"), 3],
        [mcTask("b"), 2],
      ]),
    );
    expect([indices(p), p.total, p.complete]).toEqual([
      [
        [0, 1, 2],
        [0, 1],
      ],
      5,
      true,
    ]);
    expect(p.tasks.map((t) => t.itemsTotal)).toEqual([3, 2]);
  });

  it("takes the first `limit` items of each task and says the run is incomplete", () => {
    const p = plan({
      ...planInput([
        [mcTask("a"), 5],
        [mcTask("b"), 2],
      ]),
      limit: 3,
    });
    expect([indices(p), p.total, p.complete]).toEqual([
      [
        [0, 1, 2],
        [0, 1],
      ],
      5,
      false,
    ]);
  });

  it("splits items into disjoint shards that cover the plan", () => {
    const input = planInput([
      [mcTask("a"), 10],
      [mcTask("b"), 3],
    ]);
    const shards = [0, 1, 2].map((index) => plan({ ...input, shard: { index, count: 3 } }));
    expect(shards.map(indices)).toEqual([
      [[0, 3, 6, 9], [0]],
      [[1, 4, 7], [1]],
      [[2, 5, 8], [2]],
    ]);
    expect(shards.every((s) => !s.complete)).toBe(true);
    expect(new Set(shards.map((s) => s.runKey)).size).toBe(3);
  });

  it.each([
    { index: 3, count: 3 },
    { index: -1, count: 2 },
    { index: 0, count: 0 },
    { index: 0.5, count: 2 },
  ])("refuses shard $index/$count", (shard) => {
    expect(() => plan({ ...planInput([[mcTask(), 4]]), shard })).toThrow("is not a shard");
  });

  const base = planInput([[mcTask(), 4]]);
  const baseKey = plan(base).runKey;
  it.each([
    ["the manifest", { ...base, manifestSha256: "9".repeat(64) }],
    ["the weights", { ...base, weightsSha256: "9".repeat(64) }],
    ["the suite file", { ...base, suiteSha256: "9".repeat(64) }],
    ["the evaluator version", { ...base, evaluatorVersion: "0.2.0" }],
    ["--threads", { ...base, config: { ...base.config, threads: 2 } }],
    ["--parallel", { ...base, config: { ...base.config, parallel: 4 } }],
    ["--gpu", { ...base, config: { ...base.config, gpu: "auto" } }],
    ["the context size", { ...base, config: { ...base.config, contextSize: 1024 } }],
    ["--limit", { ...base, limit: 2 }],
    ["a shard", { ...base, shard: { index: 0, count: 1 } }],
    [
      "a dataset",
      { ...base, tasks: base.tasks.map((t) => ({ ...t, datasetSha256: "8".repeat(64) })) },
    ],
    ["a prompt", { ...planInput([[mcTask("mc", { prompt: "Q: {{ q }}\nAnswer:" }), 4]]) }],
    ["a task id", { ...planInput([[mcTask("other"), 4]]) }],
  ])("changes the run key when %s changes, so no journal is resumed by another run", (_, input) => {
    expect(plan(input).runKey).not.toBe(baseKey);
  });

  it("gives the same run key for the same inputs", () => {
    expect(plan(planInput([[mcTask(), 4]])).runKey).toBe(baseKey);
  });
});

describe("quick subset", () => {
  const input = planInput([
    [mcTask("a"), 40],
    [mcTask("b"), 3],
  ]);
  const quick = (seed: number) => plan({ ...input, subset: { items: 5, seed } });

  it("draws the same seeded items of each task every time, in dataset order", () => {
    const once = indices(quick(7));
    expect(indices(quick(7))).toEqual(once);
    expect(once[0]).toHaveLength(5);
    expect(once[0]).toEqual([...(once[0] as number[])].sort((x, y) => x - y));
    // a task with no more items than the subset keeps them all
    expect(once[1]).toEqual([0, 1, 2]);
    expect(indices(quick(8))[0]).not.toEqual(once[0]);
  });

  it("draws per task: adding a task does not change another task's items", () => {
    const alone = plan({ ...planInput([[mcTask("a"), 40]]), subset: { items: 5, seed: 7 } });
    expect(indices(alone)[0]).toEqual(indices(quick(7))[0]);
  });

  it("draws the same items for tasks over the same dataset", () => {
    const twin = plan({
      ...planInput([
        [mcTask("a"), 40],
        [mcTask("c"), 40],
      ]),
      subset: { items: 5, seed: 7 },
    });
    expect(indices(twin)[1]).toEqual(indices(twin)[0]);
  });

  it("says the run is incomplete and keys its journal apart from the full run", () => {
    const run = quick(7);
    expect(run.complete).toBe(false);
    expect(run.runKey).not.toBe(plan(input).runKey);
    expect(run.runKey).not.toBe(quick(8).runKey);
  });

  it("applies --limit and shards to the subset", () => {
    const limited = plan({ ...input, subset: { items: 5, seed: 7 }, limit: 2 });
    expect(indices(limited)[0]).toEqual(indices(quick(7))[0]?.slice(0, 2));
  });
});
