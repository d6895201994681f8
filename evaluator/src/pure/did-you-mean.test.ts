import { describe, expect, it } from "vitest";
import { closest, editDistance, unknownIdMessage } from "./did-you-mean.ts";

describe("did you mean", () => {
  it.each([
    ["gguf", "gguf", 0],
    ["ggfu", "gguf", 2],
    ["", "abc", 3],
    ["kitten", "sitting", 3],
  ])("distance %s %s = %i", (a, b, d) => expect(editDistance(a, b)).toBe(d));

  it("suggests the closest id and lists the valid ones", () => {
    expect(closest("acc-norm", ["acc", "acc_norm"])).toBe("acc_norm");
    expect(closest("perplexity", ["acc", "acc_norm"])).toBeUndefined();
    expect(closest("evaluate", ["validate", "eval", "verify"])).toBe("eval");
    expect(closest("ver", ["validate", "eval", "verify"])).toBe("verify");
    expect(unknownIdMessage("metric", "acc-norm", ["acc", "acc_norm"])).toBe(
      "unknown metric 'acc-norm' (did you mean 'acc_norm'? valid: acc, acc_norm)",
    );
  });
});
