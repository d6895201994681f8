import {
  type BradleyTerryFit,
  bradleyTerry,
  comparisonGroups,
  type PairCounts,
} from "@bench/evaluator/pure";
import type { Leaderboard, ModelEntry, ResultEntry } from "./load-results.ts";

type Comparison = ResultEntry["comparisons"][number];

/** One player of a rating table: a model with results, or a baseline it was compared with. */
export interface RatedPlayer {
  /** The model's id; a baseline met in two versions (other digests) gets `@<manifest digest>`. */
  id: string;
  rating: number;
  wins: number;
  ties: number;
  losses: number;
  /** The model's page, when it has one. */
  model?: Pick<ModelEntry, "org" | "slug" | "name" | "purpose">;
}

/** Ratings of the players linked by comparisons on one suite version's task under one judge. */
export interface RatingTable {
  suite: ResultEntry["suite"];
  task: string;
  judge: Comparison["judge"];
  players: RatedPlayer[];
  /** Results whose comparisons the table counts, and the comparisons. */
  results: number;
  comparisons: number;
  /**
   * Which of the task's groups of players this is (1-based) and how many there are: players of
   * two groups never met, directly or through others, and their ratings are not comparable.
   */
  group: { index: number; of: number };
  fit: Pick<BradleyTerryFit, "iterations" | "converged" | "prior">;
}

/** Virtual ties of every player with an anchor rated 1000 (see bradley-terry.ts). */
export const ratingPrior = 1;

/**
 * Bradley–Terry ratings (Elo scale) from the `comparisons` of each model's latest trusted result
 * (verified against its samples): one table per suite version, pairwise task and judge (its id
 * and digests), because another judge or prompt set is another measurement, and per group of
 * players linked by comparisons. A baseline with results of its own links to its page.
 */
export function pairwiseRatings(leaderboard: Leaderboard): RatingTable[] {
  type Entry = { model: ModelEntry; result: ResultEntry; comparison: Comparison };
  const groups = new Map<string, Entry[]>();
  for (const model of leaderboard.models) {
    for (const result of Object.values(model.latest)) {
      for (const comparison of result.comparisons) {
        const { judge } = comparison;
        const key = JSON.stringify([
          result.suite.id,
          result.suite.version,
          comparison.task,
          judge.id,
          judge.manifestSha256,
          judge.weightsSha256 ?? null,
        ]);
        const group = groups.get(key);
        if (group) group.push({ model, result, comparison });
        else groups.set(key, [{ model, result, comparison }]);
      }
    }
  }
  const pages = new Map(leaderboard.models.map((m) => [m.id, m]));
  const tables: RatingTable[] = [];
  for (const entries of groups.values()) {
    // A baseline is one player per id, unless the results met it in several versions.
    const versions = new Map<string, Set<string>>();
    for (const { comparison: c } of entries) {
      const digests = `${c.opponent.manifestSha256}:${c.opponent.weightsSha256 ?? "served"}`;
      versions.set(c.opponent.id, (versions.get(c.opponent.id) ?? new Set()).add(digests));
    }
    const opponentKey = (c: Comparison) =>
      (versions.get(c.opponent.id)?.size ?? 0) > 1
        ? `${c.opponent.id}@${c.opponent.manifestSha256.slice(0, 12)}`
        : c.opponent.id;
    const pairs: (PairCounts & { file: string })[] = entries
      .filter(({ model, comparison }) => comparison.opponent.id !== model.id)
      .map(({ model, result, comparison: c }) => ({
        a: model.id,
        b: opponentKey(c),
        winsA: c.wins,
        ties: c.ties,
        winsB: c.losses,
        file: result.file,
      }))
      .filter((p) => p.winsA + p.ties + p.winsB > 0);
    const linked = comparisonGroups(pairs);
    const first = entries[0] as Entry;
    for (const [g, members] of linked.entries()) {
      const inSet = new Set(members);
      const inGroup = pairs.filter((p) => inSet.has(p.a));
      const fit = bradleyTerry(inGroup, { prior: ratingPrior });
      tables.push({
        suite: first.result.suite,
        task: first.comparison.task,
        judge: first.comparison.judge,
        results: new Set(inGroup.map((p) => p.file)).size,
        comparisons: inGroup.reduce((sum, p) => sum + p.winsA + p.ties + p.winsB, 0),
        group: { index: g + 1, of: linked.length },
        fit: { iterations: fit.iterations, converged: fit.converged, prior: fit.prior },
        players: fit.ratings.map((r) => {
          const page = pages.get(r.player);
          return {
            id: r.player,
            rating: r.rating,
            wins: r.wins,
            ties: r.ties,
            losses: r.losses,
            ...(page
              ? {
                  model: { org: page.org, slug: page.slug, name: page.name, purpose: page.purpose },
                }
              : {}),
          };
        }),
      });
    }
  }
  return tables.sort(
    (a, b) =>
      a.suite.name.localeCompare(b.suite.name) ||
      a.task.localeCompare(b.task) ||
      a.judge.id.localeCompare(b.judge.id) ||
      a.group.index - b.group.index,
  );
}
