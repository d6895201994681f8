/**
 * Bradley–Terry ratings from pairwise outcomes, on the Elo scale Chatbot Arena reports
 * (FastChat's `compute_mle_elo`: rating = 1000 + 400 · log10(strength), ties counted as half a win
 * for each side). Fitted by Hunter's MM algorithm (Hunter 2004, "MM algorithms for generalized
 * Bradley–Terry models", eq. 3), which increases the likelihood at every step.
 *
 * A model that won every comparison has no finite maximum-likelihood strength. `prior` adds that
 * many virtual ties between every player and a virtual anchor of strength 1 (rating 1000): ratings
 * stay finite and shrink toward 1000 when comparisons are few. With prior 0 the fit is the plain
 * maximum likelihood, normalised to a geometric mean of 1; it exists only when the "scored
 * against" graph is strongly connected (Hunter 2004, Assumption 1: however the players are split
 * in two, someone in each part won or tied against someone in the other), and is refused
 * otherwise.
 *
 * Players in different `comparisonGroups` never met, directly or through others: with a prior
 * their ratings are each measured against the anchor only, so compare them within a group.
 */

/** The outcomes of the comparisons between two players. */
export interface PairCounts {
  a: string;
  b: string;
  /** Comparisons `a` won, tied and lost against `b`. */
  winsA: number;
  ties: number;
  winsB: number;
}

export interface PlayerRating {
  player: string;
  /** 1000 + 400 · log10(strength). */
  rating: number;
  wins: number;
  ties: number;
  losses: number;
}

export interface BradleyTerryFit {
  /** Highest rating first; ties by player id. */
  ratings: PlayerRating[];
  iterations: number;
  converged: boolean;
  prior: number;
}

export interface BradleyTerryOptions {
  /** Virtual ties of each player with an anchor of rating 1000 (default 1); 0: plain MLE. */
  prior?: number;
  maxIterations?: number;
  /** Stop when no log-strength moves by more than this (default 1e-12). */
  tolerance?: number;
}

export function bradleyTerry(
  pairs: readonly PairCounts[],
  options: BradleyTerryOptions = {},
): BradleyTerryFit {
  const prior = options.prior ?? 1;
  const maxIterations = options.maxIterations ?? 100_000;
  const tolerance = options.tolerance ?? 1e-12;
  const players = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
  const index = new Map(players.map((p, i) => [p, i]));
  const n = players.length;
  // Games between i and j, and each player's score (wins plus half its ties).
  const games = Array.from({ length: n }, () => new Float64Array(n));
  const score = new Float64Array(n);
  const tally = players.map(() => ({ wins: 0, ties: 0, losses: 0 }));
  for (const pair of pairs) {
    for (const count of [pair.winsA, pair.ties, pair.winsB]) {
      if (!Number.isInteger(count) || count < 0)
        throw new RangeError(`counts must be non-negative integers: ${JSON.stringify(pair)}`);
    }
    if (pair.a === pair.b) throw new RangeError(`a player compared with itself: ${pair.a}`);
    const i = index.get(pair.a) as number;
    const j = index.get(pair.b) as number;
    const total = pair.winsA + pair.ties + pair.winsB;
    const rowI = games[i] as Float64Array;
    const rowJ = games[j] as Float64Array;
    rowI[j] = (rowI[j] as number) + total;
    rowJ[i] = (rowJ[i] as number) + total;
    score[i] = (score[i] as number) + pair.winsA + pair.ties / 2;
    score[j] = (score[j] as number) + pair.winsB + pair.ties / 2;
    const ti = tally[i] as { wins: number; ties: number; losses: number };
    const tj = tally[j] as { wins: number; ties: number; losses: number };
    ti.wins += pair.winsA;
    ti.ties += pair.ties;
    ti.losses += pair.winsB;
    tj.wins += pair.winsB;
    tj.ties += pair.ties;
    tj.losses += pair.winsA;
  }
  if (prior === 0 && n > 0) {
    // i → j when i won or tied against j at least once: every player must reach every other.
    const beat = players.map(() => new Set<number>());
    const beatenBy = players.map(() => new Set<number>());
    for (const pair of pairs) {
      const i = index.get(pair.a) as number;
      const j = index.get(pair.b) as number;
      if (pair.winsA + pair.ties > 0) {
        beat[i]?.add(j);
        beatenBy[j]?.add(i);
      }
      if (pair.winsB + pair.ties > 0) {
        beat[j]?.add(i);
        beatenBy[i]?.add(j);
      }
    }
    const reach = (edges: (from: number) => Iterable<number>) => {
      const seen = new Set([0]);
      const queue = [0];
      while (queue.length > 0) {
        for (const next of edges(queue.pop() as number)) {
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      return seen;
    };
    const forward = reach((i) => beat[i] ?? []);
    const backward = reach((i) => beatenBy[i] ?? []);
    const stuck = players.filter((_, i) => !forward.has(i) || !backward.has(i));
    if (stuck.length > 0) {
      throw new RangeError(
        `no finite maximum-likelihood ratings: the comparisons do not link ${stuck.slice(0, 5).join(", ")} both ways with ${players[0]} (some won or lost every comparison across a divide); use a prior above 0`,
      );
    }
  }
  let strength = new Float64Array(n).fill(1);
  let iterations = 0;
  let converged = n === 0;
  while (!converged && iterations < maxIterations) {
    iterations += 1;
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = games[i] as Float64Array;
      const si = strength[i] as number;
      // The anchor: `prior` ties with a player of strength 1.
      let denominator = prior / (si + 1);
      for (let j = 0; j < n; j++) {
        const g = row[j] as number;
        if (g > 0) denominator += g / (si + (strength[j] as number));
      }
      next[i] = ((score[i] as number) + prior / 2) / denominator;
    }
    if (prior === 0) {
      // Without an anchor the scale is free: fix the geometric mean at 1.
      let logMean = 0;
      for (const s of next) logMean += Math.log(s) / n;
      for (let i = 0; i < n; i++) next[i] = (next[i] as number) / Math.exp(logMean);
    }
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const change = Math.abs(Math.log(next[i] as number) - Math.log(strength[i] as number));
      if (!(change <= moved)) moved = change;
    }
    strength = next;
    converged = moved <= tolerance;
  }
  const ratings = players
    .map((player, i) => ({
      player,
      rating: 1000 + 400 * Math.log10(strength[i] as number),
      ...(tally[i] as { wins: number; ties: number; losses: number }),
    }))
    .sort((x, y) => y.rating - x.rating || x.player.localeCompare(y.player));
  return { ratings, iterations, converged, prior };
}

/**
 * The players in groups linked by comparisons (either side, any outcome), each sorted, groups in
 * order of their first player: ratings mean something only within one group.
 */
export function comparisonGroups(pairs: readonly PairCounts[]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(x, root);
    return root;
  };
  for (const { a, b } of pairs) {
    for (const p of [a, b]) if (!parent.has(p)) parent.set(p, p);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) {
      const [low, high] = [ra, rb].sort() as [string, string];
      parent.set(high, low);
    }
  }
  const groups = new Map<string, string[]>();
  for (const p of [...parent.keys()].sort()) {
    const root = find(p);
    groups.set(root, [...(groups.get(root) ?? []), p]);
  }
  return [...groups.values()].sort((x, y) => (x[0] as string).localeCompare(y[0] as string));
}
