/** Levenshtein distance, for "did you mean …" suggestions. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

/**
 * The closest candidate within a third of the input's length (at least 2 edits), else one that
 * the input starts with or that starts with the input (`evaluate` → `eval`), if any.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance && distance <= limit) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best) return best;
  const lower = input.toLowerCase();
  return candidates.find(
    (c) =>
      lower.startsWith(c.toLowerCase()) || (lower.length >= 2 && c.toLowerCase().startsWith(lower)),
  );
}

/** `unknown backend 'ggfu' (did you mean 'gguf'? valid: gguf)`. */
export function unknownIdMessage(kind: string, input: string, valid: readonly string[]): string {
  const suggestion = closest(input, valid);
  const didYouMean = suggestion ? `did you mean '${suggestion}'? ` : "";
  return `unknown ${kind} '${input}' (${didYouMean}valid: ${valid.join(", ")})`;
}
