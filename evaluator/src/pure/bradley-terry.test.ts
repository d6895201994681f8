import { describe, expect, it } from "vitest";
import { bradleyTerry, comparisonGroups, type PairCounts } from "./bradley-terry.ts";

const rating = (fit: ReturnType<typeof bradleyTerry>, player: string) =>
  fit.ratings.find((r) => r.player === player)?.rating;

// Four players, some ties, every player both winning and losing.
const pairs: PairCounts[] = [
  { a: "A", b: "B", winsA: 7, ties: 2, winsB: 3 },
  { a: "A", b: "C", winsA: 5, ties: 1, winsB: 4 },
  { a: "B", b: "C", winsA: 6, ties: 3, winsB: 3 },
  { a: "C", b: "D", winsA: 8, ties: 0, winsB: 2 },
  { a: "B", b: "D", winsA: 4, ties: 4, winsB: 2 },
];

describe("Bradley–Terry ratings (FastChat compute_mle_elo's scale; Hunter's MM)", () => {
  it("two players: the strength ratio is the ratio of scores, 400·log10(3) apart for 3–1", () => {
    const fit = bradleyTerry([{ a: "x", b: "y", winsA: 3, ties: 0, winsB: 1 }], { prior: 0 });
    expect((rating(fit, "x") as number) - (rating(fit, "y") as number)).toBeCloseTo(
      400 * Math.log10(3),
      9,
    );
    expect((rating(fit, "x") as number) + (rating(fit, "y") as number)).toBeCloseTo(2000, 9);
  });

  // Expected values: the root of the log-likelihood's gradient, solved with scipy.optimize.fsolve
  // (xtol 1e-14; gradient below 2e-15) with ties as half a win for each side, ratings
  // 1000 + 400·θ/ln 10; prior 0 centred on a mean θ of 0, prior 1 with one tie per player against
  // an anchor of θ = 0.
  it.each<[number, Record<string, number>]>([
    [0, { A: 1096.924796608, B: 1014.540525259, C: 1018.973857775, D: 869.560820358 }],
    [1, { A: 1091.196669991, B: 1013.044848142, C: 1017.542670993, D: 875.166935862 }],
  ])("prior %d matches the maximum likelihood solved by scipy", (prior, expected) => {
    const fit = bradleyTerry(pairs, { prior });
    expect(fit.converged).toBe(true);
    for (const [player, value] of Object.entries(expected))
      expect(rating(fit, player)).toBeCloseTo(value, 6);
    expect(fit.ratings.map((r) => r.player)).toEqual(["A", "C", "B", "D"]);
  });

  it("counts each player's wins, ties and losses from either side of a pair", () => {
    const fit = bradleyTerry(pairs);
    expect(fit.ratings.find((r) => r.player === "D")).toMatchObject({
      wins: 4,
      ties: 4,
      losses: 12,
    });
  });

  it("keeps a model that won everything finite with a prior, and refuses it without one", () => {
    const sweep = [{ a: "x", b: "y", winsA: 5, ties: 0, winsB: 0 }];
    const fit = bradleyTerry(sweep, { prior: 1 });
    expect(fit.converged).toBe(true);
    expect(Number.isFinite(rating(fit, "x"))).toBe(true);
    expect(rating(fit, "x")).toBeGreaterThan(rating(fit, "y") as number);
    expect(() => bradleyTerry(sweep, { prior: 0 })).toThrow(/do not link y/);
  });

  it("refuses plain maximum likelihood where wins do not link everyone both ways (Hunter's Assumption 1)", () => {
    // Each player won and lost something, yet C and D never score against A or B.
    const oneWay = [
      { a: "A", b: "B", winsA: 1, ties: 0, winsB: 1 },
      { a: "C", b: "D", winsA: 1, ties: 0, winsB: 1 },
      { a: "A", b: "C", winsA: 3, ties: 0, winsB: 0 },
    ];
    expect(() => bradleyTerry(oneWay, { prior: 0 })).toThrow(/do not link C, D both ways/);
    expect(bradleyTerry(oneWay, { prior: 1 }).converged).toBe(true);
  });

  it("groups players that met, directly or through others", () => {
    expect(
      comparisonGroups([
        { a: "m1", b: "base1", winsA: 2, ties: 0, winsB: 0 },
        { a: "m2", b: "base2", winsA: 200, ties: 0, winsB: 100 },
        { a: "m3", b: "base1", winsA: 0, ties: 1, winsB: 0 },
      ]),
    ).toEqual([
      ["base1", "m1", "m3"],
      ["base2", "m2"],
    ]);
    expect(comparisonGroups(pairs)).toEqual([["A", "B", "C", "D"]]);
  });

  it.each([
    [{ a: "x", b: "x", winsA: 1, ties: 0, winsB: 0 }, /compared with itself/],
    [{ a: "x", b: "y", winsA: -1, ties: 0, winsB: 0 }, /non-negative integers/],
    [{ a: "x", b: "y", winsA: 0.5, ties: 0, winsB: 0 }, /non-negative integers/],
  ])("refuses %j", (pair, message) => {
    expect(() => bradleyTerry([pair])).toThrow(message);
  });
});
