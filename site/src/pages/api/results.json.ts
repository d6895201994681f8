import type { APIRoute } from "astro";
import { loadLeaderboard, untrustedPolicy } from "../../lib/load-results.ts";
import { pairwiseRatings } from "../../lib/ratings.ts";

/**
 * The public leaderboard data. `models` come in rank order (`rank` from 1) by their latest trusted
 * run per suite; every result carries its trust in `signer.status`. Untrusted results appear only
 * in a model's `untrusted` list, never as `latest` or `earlier`; a model with nothing else comes
 * last with `rank: null`. With `BENCH_SITE_UNTRUSTED=hide` (`untrustedResults: "hide"`) they are
 * left out. `ratings` are the Bradley–Terry tables of pairwise judge tasks (trusted results only).
 */
export const GET: APIRoute = () => {
  const leaderboard = loadLeaderboard();
  const body = {
    schemaVersion: 1,
    untrustedResults: untrustedPolicy(),
    ...leaderboard,
    ratings: pairwiseRatings(leaderboard),
  };
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    headers: { "content-type": "application/json; charset=utf-8" },
  });
};
