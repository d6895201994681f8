import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { displayPath } from "../../config/load.ts";
import { BenchError } from "../../errors/index.ts";
import type { ResultDocument } from "../../generated/result.ts";
import {
  type ComparedRun,
  type Comparison,
  comparabilityProblems,
  compareRuns,
} from "../../pure/compare-runs.ts";
import {
  type PerformanceDelta,
  performanceDeltas,
  variantRelation,
} from "../../pure/perf-compare.ts";
import type { ScoredItem } from "../../pure/score.ts";
import { escapeHidden, printable } from "../../pure/text.ts";
import { parseStrictJson } from "../../result/strict-json.ts";
import { loadTrustListFile, trustListName } from "../../result/trust-list.ts";
import { resultsRootFor, type VerifiedResult, verifyResultFile } from "../../result/verify.ts";
import { parseCommandLine } from "../args.ts";
import { commandHelp } from "../help.ts";
import { compareSpec as spec } from "../options.ts";
import { capLines } from "../report.ts";

/** A samples file is about a kilobyte per item; the largest suites stay far below this. */
const samplesMaxBytes = 256 * 1024 * 1024;

interface LoadedRun extends ComparedRun {
  label: string;
  report: VerifiedResult & { document: ResultDocument };
}

function loadRun(path: string, trustFlag: string | undefined): LoadedRun {
  const file = resolve(path);
  const label = escapeHidden(displayPath(file));
  if (!existsSync(file)) throw new BenchError("E_NOT_FOUND", `${label}: no such file`);
  const root = resultsRootFor(file);
  const trust = loadTrustListFile(trustFlag ? resolve(trustFlag) : join(root, trustListName));
  const report = verifyResultFile(file, trust, { root });
  if (report.status === "invalid" || !report.document)
    throw new BenchError(report.code ?? "E_SIGNATURE", capLines(report.problems).join("\n"), {
      hint: `bench compare reads only results that bench verify accepts; run bench verify ${label} --allow-untrusted`,
    });
  const document = report.document;
  const samplesFile = join(dirname(file), document.samples.path);
  const size = statSync(samplesFile).size;
  if (size > samplesMaxBytes)
    throw new BenchError(
      "E_JSON",
      `${label}: ${document.samples.path} is ${size} bytes (expected at most ${samplesMaxBytes})`,
    );
  const text = readFileSync(samplesFile);
  // Read again after verification: the digest must hold for the bytes compared, not only those checked.
  if (createHash("sha256").update(text).digest("hex") !== document.samples.sha256)
    throw new BenchError(
      "E_SIGNATURE",
      `${label}: $.samples.sha256: ${document.samples.path} changed while it was read`,
    );
  return {
    label,
    report: { ...report, document },
    suite: document.suite,
    scores: document.scores,
    samples: parseSamples(text.toString("utf8"), `${label}: ${document.samples.path}`),
  };
}

function parseSamples(text: string, source: string): ScoredItem[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line, i) => {
    const where = `${source}:${i + 1}`;
    const value = parseStrictJson(line, { source: where }) as Partial<ScoredItem> | null;
    const ok =
      value !== null &&
      typeof value === "object" &&
      typeof value.task === "string" &&
      Number.isInteger(value.index) &&
      (value.status === "ok" || value.status === "error");
    if (!ok)
      throw new BenchError(
        "E_SCHEMA",
        `${where}: is not a sample (expected {task, index, status: "ok" | "error", scores})`,
      );
    return value as ScoredItem;
  });
}

/** The run's trust, for the header and the JSON. */
function signerOf(run: LoadedRun) {
  const signer = run.report.signer;
  return {
    status: run.report.status as "trusted" | "untrusted",
    keyId: signer?.keyId ?? "",
    kind: signer?.kind ?? "",
    ...(signer?.owner ? { owner: signer.owner } : {}),
  };
}

function header(name: string, run: LoadedRun): string {
  const doc = run.report.document;
  const signer = signerOf(run);
  const who =
    signer.status === "trusted"
      ? `trusted (key ${signer.keyId}, ${printable(signer.owner ?? "", 60)})`
      : `untrusted (${printable(signer.kind, 20)} key ${signer.keyId}, not in the trust list)`;
  return `${name}  ${run.label}  ${printable(doc.model.id, 80)}  ${who}`;
}

const fixed = (v: number | null, sign = false) =>
  v === null ? "—" : `${sign && v >= 0 ? "+" : ""}${v.toFixed(4)}`;
const pValue = (p: number | null) =>
  p === null ? "—" : p >= 1e-4 ? p.toFixed(4) : p.toExponential(1);

function table(comparison: Comparison): string[] {
  const head = [
    "task",
    "metric",
    "a",
    "b",
    "delta (b − a)",
    "95% CI",
    "test",
    "p",
    "n",
    "excluded",
  ];
  const body = comparison.rows.map((r) => [
    printable(r.task, 40),
    printable(r.metric, 40),
    fixed(r.a),
    fixed(r.b),
    fixed(r.delta, true),
    r.ci95 ? `[${fixed(r.ci95.low, true)}, ${fixed(r.ci95.high, true)}]` : "—",
    r.test,
    pValue(r.p),
    String(r.n),
    String(r.excluded),
  ]);
  return columns([head, ...body]);
}

/** Rows of cells as lines, each column as wide as its widest cell. */
function columns(rows: readonly string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  );
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd(),
  );
}

function performanceTable(rows: readonly PerformanceDelta[]): string[] {
  const number = (v: number) => (Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toFixed(2));
  return columns([
    ["figure", "unit", "a", "b", "ratio", "better"],
    ...rows.map((r) => [
      printable(r.figure, 70),
      r.unit,
      number(r.a),
      number(r.b),
      r.ratio === null ? "—" : `${r.ratio.toFixed(3)}×`,
      r.higherIsBetter === null || r.ratio === null || r.ratio === 1
        ? ""
        : r.ratio > 1 === r.higherIsBetter
          ? "b"
          : "a",
    ]),
  ]);
}

export async function compareCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const line = parseCommandLine(spec, argv, env);
  if (line.help) {
    io.stdout.write(commandHelp(spec));
    return 0;
  }
  const { values, positionals } = line;
  if (values.trust && !existsSync(values.trust))
    throw new BenchError("E_NOT_FOUND", `--trust: ${printable(values.trust)} does not exist`);
  const [a, b] = positionals.map((p) => loadRun(p, values.trust)) as [LoadedRun, LoadedRun];
  const problems = comparabilityProblems(a, b);
  if (problems.length > 0) {
    throw new BenchError(
      "E_NOT_COMPARABLE",
      `bench compare: ${a.label} and ${b.label} are not comparable: ${problems.map((p) => printable(p, 200)).join("; ")}`,
      { hint: "compare results of the same suite version, datasets, prompts and items" },
    );
  }
  let comparison: Comparison;
  try {
    comparison = compareRuns(a, b, { iterations: values.iterations });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new BenchError("E_SCHEMA", `${a.label} vs ${b.label}: ${printable(error.message, 200)}`, {
      cause: error,
    });
  }
  const doc = a.report.document;
  const performance = performanceDeltas(a.report.document, b.report.document);
  const relation = variantRelation(a.report.document, b.report.document);
  if (values.json) {
    const side = (run: LoadedRun) => ({
      file: run.label,
      model: run.report.document.model.id,
      run: run.report.document.run.id,
      signer: signerOf(run),
    });
    io.stdout.write(
      `${JSON.stringify(
        {
          a: side(a),
          b: side(b),
          suite: { id: doc.suite.id, version: doc.suite.version },
          ...(relation ? { relation } : {}),
          ...comparison,
          performance,
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const out = [
    header("a", a),
    header("b", b),
    `suite ${printable(doc.suite.id, 60)} ${printable(doc.suite.version, 40)}: values over the items that ran in both; 95% CI of the delta from ${comparison.bootstrap.iterations} paired bootstrap resamples; excluded = items that failed in either run`,
    ...(relation ? [`models: ${printable(relation, 200)}`] : []),
    "",
    ...table(comparison),
    ...(performance.length > 0
      ? [
          "",
          "speed and memory (figures both runs measured; ratio b / a):",
          ...performanceTable(performance),
        ]
      : []),
  ];
  io.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
