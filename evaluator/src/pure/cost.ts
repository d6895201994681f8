/**
 * What tokens cost at a hosted API's prices: the manifest's `backend.pricing` (per million prompt
 * and output tokens, as OpenAI's and Anthropic's price pages state them) times the tokens the
 * server itself counted. A self-hosted or in-process model has no price per token: its cost is
 * hardware time, which the decision engine's TCO view computes from the speed figures.
 */

import type { Cost } from "../generated/result.ts";

/** The result's cost figure (schemas/result.schema.json, $defs/cost). */
export type TokenCost = Cost;
/** A manifest's backend.pricing, as the cost figure records it. */
export type Pricing = Cost["pricing"];

export function tokenCost(
  pricing: Pricing,
  counts: { promptTokens: number; outputTokens: number; requests?: number },
): TokenCost {
  const total =
    (counts.promptTokens * pricing.inputPerMillionTokens +
      counts.outputTokens * pricing.outputPerMillionTokens) /
    1e6;
  return {
    currency: pricing.currency,
    promptTokens: counts.promptTokens,
    outputTokens: counts.outputTokens,
    total,
    ...(counts.requests ? { perRequest: total / counts.requests } : {}),
    ...(counts.outputTokens > 0
      ? { perMillionOutputTokens: (total / counts.outputTokens) * 1e6 }
      : {}),
    pricing: { ...pricing },
  };
}

/**
 * The cost of the tokens a served model's server counted, at the manifest's prices; else why
 * there is none (`partial`: a reason the counts do not cover the whole run).
 */
export function costOrReason(
  served: boolean,
  pricing: Pricing | undefined,
  counts: { promptTokens: number; outputTokens: number; requests: number; unreported: number },
  partial?: string,
): { cost: TokenCost } | { reason: string } {
  if (!served) {
    return {
      reason:
        "an in-process model has no price per token: its cost is hardware time (the TCO view, from the speed figures)",
    };
  }
  if (!pricing) {
    return {
      reason:
        "the manifest gives no backend.pricing: add a hosted API's prices per million tokens, or cost a self-hosted server by its hardware time (the TCO view)",
    };
  }
  if (partial) return { reason: partial };
  if (counts.unreported > 0) {
    return {
      reason: `the server reported no usage for ${counts.unreported} of ${counts.unreported + counts.requests} requests: their tokens cannot be priced`,
    };
  }
  if (counts.requests === 0) return { reason: "no request reached the server in this run" };
  return { cost: tokenCost(pricing, counts) };
}
