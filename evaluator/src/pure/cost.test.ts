import { describe, expect, it } from "vitest";
import { tokenCost } from "./cost.ts";

// Hand-computed from the per-million-token prices as the providers' price pages state them
// (../shared/research/tco-facts.json: gpt-4o-mini $0.15 input, $0.60 output).
const mini = { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6, currency: "USD" };

describe("tokenCost", () => {
  it("prices prompt and output tokens apart, per request and per million output tokens", () => {
    // 1,000 requests of 128 prompt and 64 output tokens: 128,000 × 0.15 / 1e6 = 0.0192 and
    // 64,000 × 0.60 / 1e6 = 0.0384, so 0.0576 in all, 0.0000576 a request, and 0.0576 / 64,000 ×
    // 1e6 = 0.9 per million output tokens.
    const cost = tokenCost(mini, { promptTokens: 128_000, outputTokens: 64_000, requests: 1000 });
    expect(cost.total).toBeCloseTo(0.0576, 12);
    expect(cost.perRequest).toBeCloseTo(0.0000576, 15);
    expect(cost.perMillionOutputTokens).toBeCloseTo(0.9, 12);
    expect(cost).toMatchObject({ currency: "USD", promptTokens: 128_000, outputTokens: 64_000 });
  });

  it("leaves out the rates it cannot divide by", () => {
    const cost = tokenCost(mini, { promptTokens: 1_000_000, outputTokens: 0, requests: 0 });
    expect(cost.total).toBeCloseTo(0.15, 12);
    expect(cost.perRequest).toBeUndefined();
    expect(cost.perMillionOutputTokens).toBeUndefined();
  });

  it("keeps the prices it used, with their source and date", () => {
    const pricing = { ...mini, source: "https://openai.com/api/pricing/", date: "2026-11-01" };
    expect(tokenCost(pricing, { promptTokens: 1, outputTokens: 1 }).pricing).toEqual(pricing);
  });
});
