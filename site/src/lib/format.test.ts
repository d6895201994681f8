import { describe, expect, it } from "vitest";
import { formatBytes, formatDate, formatScore, formatSigner } from "./format.ts";

describe("formatScore", () => {
  it.each([
    { metric: "acc", value: 0.625, stderr: 0.0767, expected: "62.5% ± 7.7" },
    { metric: "acc_norm", value: 1, stderr: 0, expected: "100.0% ± 0.0" },
    { metric: "acc", value: 0.5, stderr: null, expected: "50.0%" },
    { metric: "acc", value: 0.5, stderr: Number.NaN, expected: "50.0%" },
    { metric: "perplexity", value: 12.3456, stderr: 0.25, expected: "12.346 ± 0.250" },
    { metric: "acc", value: null, stderr: null, expected: "—" },
    { metric: "perplexity", value: null, stderr: 0.25, expected: "—" },
  ])("$metric $value ± $stderr → $expected", ({ expected, ...score }) => {
    expect(formatScore(score)).toBe(expected);
  });
});

describe("formatDate", () => {
  it.each([
    ["2026-05-01T23:30:00.000Z", "2026-05-01"],
    ["2026-05-01T01:30:00+02:00", "2026-04-30"],
    ["not a date", "not a date"],
  ])("%s → %s", (input, expected) => {
    expect(formatDate(input)).toBe(expected);
  });
});

describe("formatSigner", () => {
  it("names the owner of a trusted key and the kind and id of an untrusted one", () => {
    expect(
      formatSigner({ status: "trusted", kind: "ci", keyId: "0123456789abcdef", owner: "bench CI" }),
    ).toBe("trusted: bench CI");
    expect(formatSigner({ status: "untrusted", kind: "local", keyId: "0123456789abcdef" })).toBe(
      "untrusted local key 0123456789abcdef",
    );
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [8589934592, "8.0 GiB"],
  ])("%d → %s", (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});
