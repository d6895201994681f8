import type { ResultDocument } from "../generated/result.ts";

/** One speed or memory figure of two results side by side. */
export interface PerformanceDelta {
  /** `measured.<name>`, or `<run>[/<step>] <figure> <statistic>` for a speed run. */
  figure: string;
  unit: string;
  higherIsBetter: boolean | null;
  a: number;
  b: number;
  /** b / a; null when a is 0. */
  ratio: number | null;
}

/** How two results' models relate, from b's manifest `variant` (quantisation comparisons). */
export function variantRelation(a: ResultDocument, b: ResultDocument): string | undefined {
  const describe = (x: ResultDocument, y: ResultDocument) => {
    const v = x.model.variant as
      | { baseModel?: string; kind?: string; quantization?: string }
      | undefined;
    if (v?.baseModel !== y.model.id) return undefined;
    return `${x.model.id} is a ${v.kind ?? "variant"}${v.quantization ? ` (${v.quantization})` : ""} variant of ${y.model.id}`;
  };
  const av = a.model.variant as { baseModel?: string; quantization?: string } | undefined;
  const bv = b.model.variant as { baseModel?: string; quantization?: string } | undefined;
  if (av?.baseModel && av.baseModel === bv?.baseModel) {
    return `siblings of ${av.baseModel}: ${av.quantization ?? "?"} (a) and ${bv.quantization ?? "?"} (b)`;
  }
  return describe(b, a) ?? describe(a, b);
}

const units: Record<string, { unit: string; higherIsBetter: boolean | null }> = {
  peakRssBytes: { unit: "bytes", higherIsBetter: false },
  peakVramBytes: { unit: "bytes", higherIsBetter: false },
  tokensPerSecond: { unit: "tokens/s", higherIsBetter: true },
  itemsPerSecond: { unit: "items/s", higherIsBetter: true },
  evalSeconds: { unit: "s", higherIsBetter: false },
  loadSeconds: { unit: "s", higherIsBetter: false },
};

/**
 * The speed and memory figures both results measured: the run's own (tokens per second, peak
 * memory), and each speed run's latencies (p50 and p99) and rates, matched by run id and step.
 * What one of them did not measure is left out, never filled in.
 */
export function performanceDeltas(a: ResultDocument, b: ResultDocument): PerformanceDelta[] {
  const out: PerformanceDelta[] = [];
  const add = (
    figure: string,
    unit: string,
    higherIsBetter: boolean | null,
    x?: number,
    y?: number,
  ) => {
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) return;
    out.push({ figure, unit, higherIsBetter, a: x, b: y, ratio: x === 0 ? null : y / x });
  };
  for (const [name, spec] of Object.entries(units)) {
    add(
      `measured.${name}`,
      spec.unit,
      spec.higherIsBetter,
      a.performance.measured[name],
      b.performance.measured[name],
    );
  }
  const key = (l: { id: string; step?: string }) => (l.step ? `${l.id}/${l.step}` : l.id);
  const bLoads = new Map((b.performance.loads ?? []).map((l) => [key(l), l]));
  for (const la of a.performance.loads ?? []) {
    const lb = bLoads.get(key(la));
    if (!lb) continue;
    for (const [id, d] of Object.entries(la.latency)) {
      const e = lb.latency[id];
      if (!d || !e) continue;
      add(`${key(la)} ${id} p50`, d.unit, d.higherIsBetter, d.p50, e.p50);
      add(`${key(la)} ${id} p99`, d.unit, d.higherIsBetter, d.p99, e.p99);
    }
    for (const [id, t] of Object.entries(la.throughput)) {
      const u = lb.throughput[id];
      if (t && u) add(`${key(la)} ${id}`, t.unit, t.higherIsBetter, t.value, u.value);
    }
    add(
      `${key(la)} peakRssBytes`,
      "bytes",
      false,
      la.resources.measured.peakRssBytes,
      lb.resources.measured.peakRssBytes,
    );
  }
  return out;
}
