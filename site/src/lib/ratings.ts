import { type BradleyTerryFit, bradleyTerry } from "@bench/evaluator/pure";
import type { Leaderboard, ModelEntry, ResultEntry } from "./load-results.ts";

type Comparison = ResultEntry["comparisons"][number];

/** One player of a rating table: a model with results, or a baseline it was compared with. */
export interface RatedPlayer {
  id: string;
  rating: number;
  wins: number;
  ties: number;
  losses: number;
  /** The model's page, when it has one. */
  model?: Pick<ModelEntry, "org" | "slug" | "name" | "purpose">;
}

/** Ratings of everything compared on one suite version's task under one judge. */
export interface RatingTable {
  suite: ResultEntry["suite"];
  task: string;
  judge: Comparison["judge"];
  players: RatedPlayer[];
  /** Results that contributed, and comparisons counted. */
  results: number;
  comparisons: number;
  fit: Pick<BradleyTerryFit, "iterations" | "converged" | "prior">;
}

/** Virtual ties of every player with an anchor rated 1000 (see bradley-terry.ts). */
export const ratingPrior = 1;

/**
 * Bradley–Terry ratings (Elo scale) from the `comparisons` of each model's latest trusted result:
 * one table per suite version, pairwise task and judge (its id and digests), because verdicts of
 * another judge or prompt set are not the same measurement. A model and the baselines it met are
 * the players; a baseline with results of its own links to its page.
 */
export function pairwiseRatings(leaderboard: Leaderboard): RatingTable[] {
  const groups = new Map<
    string,
    Omit<RatingTable, "players" | "fit" | "comparisons"> & {
      pairs: { a: string; b: string; winsA: number; ties: number; winsB: number }[];
    }
  >();
  for (const model of leaderboard.models) {
    for (const result of Object.values(model.latest)) {
      for (const c of result.comparisons) {
        const key = JSON.stringify([result.suite.id, result.suite.version, c.task, c.judge]);
        let group = groups.get(key);
        if (!group) {
          group = { suite: result.suite, task: c.task, judge: c.judge, results: 0, pairs: [] };
          groups.set(key, group);
        }
        group.results += 1;
        if (c.opponent.id === model.id) continue;
        group.pairs.push({
          a: model.id,
          b: c.opponent.id,
          winsA: c.wins,
          ties: c.ties,
          winsB: c.losses,
        });
      }
    }
  }
  const pages = new Map(leaderboard.models.map((m) => [m.id, m]));
  return [...groups.values()]
    .filter((group) => group.pairs.some((p) => p.winsA + p.ties + p.winsB > 0))
    .map(({ pairs, ...group }) => {
      const fit = bradleyTerry(pairs, { prior: ratingPrior });
      return {
        ...group,
        comparisons: pairs.reduce((sum, p) => sum + p.winsA + p.ties + p.winsB, 0),
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
      };
    })
    .sort(
      (a, b) =>
        a.suite.name.localeCompare(b.suite.name) ||
        a.task.localeCompare(b.task) ||
        a.judge.id.localeCompare(b.judge.id),
    );
}
