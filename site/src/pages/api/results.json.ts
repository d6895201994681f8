import type { APIRoute } from "astro";
import { loadLeaderboard } from "../../lib/load-results.ts";

/** The public leaderboard data: every model with its latest verified run per suite. */
export const GET: APIRoute = () =>
  new Response(`${JSON.stringify({ schemaVersion: 1, ...loadLeaderboard() }, null, 2)}\n`, {
    headers: { "content-type": "application/json; charset=utf-8" },
  });
