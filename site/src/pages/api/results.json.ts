import type { APIRoute } from "astro";
import { loadLeaderboard, untrustedPolicy } from "../../lib/load-results.ts";

/**
 * The public leaderboard data. `models` come in rank order (`rank` from 1) by their latest trusted
 * run per suite; every result carries its trust in `signer.status`. Untrusted results appear only
 * in a model's `untrusted` list, never as `latest` or `earlier`; a model with nothing else comes
 * last with `rank: null`. With `BENCH_SITE_UNTRUSTED=hide` (`untrustedResults: "hide"`) they are
 * left out.
 */
export const GET: APIRoute = () => {
  const body = { schemaVersion: 1, untrustedResults: untrustedPolicy(), ...loadLeaderboard() };
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    headers: { "content-type": "application/json; charset=utf-8" },
  });
};
