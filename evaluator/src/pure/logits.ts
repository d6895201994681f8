/**
 * Log-probabilities from a row of raw logits without materialising the log-softmax: its max and
 * ln Σ exp(logit − max), in doubles (both engines that score read rows this way).
 */
/** A row of raw logits with its max and ln Σ exp(logit - max), in doubles. */
export interface LogitRow {
  logits: ArrayLike<number>;
  max: number;
  logSum: number;
}

export function logitRow(logits: ArrayLike<number>): LogitRow {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++)
    if ((logits[i] as number) > max) max = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return { logits, max, logSum: Math.log(sum) };
}

/** ln p(target) = logit - max - ln Σ exp(logit - max): the full-vocabulary log-softmax. */
export function logProb(row: LogitRow, target: number): { logprob: number; greedy: boolean } {
  const logit = row.logits[target] as number;
  return { logprob: logit - row.max - row.logSum, greedy: logit >= row.max };
}
