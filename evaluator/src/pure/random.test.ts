import { describe, expect, it } from "vitest";
import { below, indexFiller, mulberry32, seedFrom } from "./random.ts";

describe("mulberry32", () => {
  // The first four outputs of Tommy Ettinger's C reference (uint32_t state, `*state += 0x6D2B79F5`),
  // compiled with gcc: the same numbers on any platform.
  it.each([
    { seed: 0, outputs: [1144304738, 1416247, 958946056, 627933444] },
    { seed: 1, outputs: [2693262067, 11749833, 2265367787, 4213581821] },
    { seed: 0xdeadbeef, outputs: [4043151706, 1147597007, 3315858022, 1538288752] },
  ])("seed $seed gives the C reference's draws", ({ seed, outputs }) => {
    const random = mulberry32(seed);
    expect(outputs.map(() => random())).toEqual(outputs);
  });

  it("fills arrays with exactly the draws of below(), continuing across calls", () => {
    const random = mulberry32(42);
    const fill = indexFiller(42);
    for (const n of [1, 7, 14_000, 3_000_000_000]) {
      const out = new Uint32Array(64);
      fill(out, n);
      const expected = Array.from(out, () => below(random, n));
      expect(Array.from(out)).toEqual(expected);
      expect(expected.every((i) => i >= 0 && i < n)).toBe(true);
    }
  });
});

describe("seedFrom", () => {
  // FNV-1a 32-bit: the offset basis for no bytes, 0xe40c292c for "a" (the FNV test vectors),
  // and Python's `functools.reduce` over UTF-8 bytes for the rest.
  it.each([
    { parts: [""], seed: 0x811c9dc5 },
    { parts: ["a"], seed: 0xe40c292c },
    { parts: ["mc", "acc"], seed: 2359433220 },
    { parts: ["arc", "é"], seed: 1903296541 },
  ])("$parts → $seed", ({ parts, seed }) => {
    expect(seedFrom(...parts)).toBe(seed);
  });

  it("keeps the parts apart", () => {
    expect(seedFrom("ab", "c")).not.toBe(seedFrom("a", "bc"));
  });
});
