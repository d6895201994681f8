/**
 * Hostile inputs, end to end: every case copies a valid repository, breaks one thing the way a
 * stranger's pull request could (a manifest, a suite, a dataset, a flag, a signed result, the
 * trust list, a run journal, the artifact mirror), runs the real `bench` executable and checks
 * that it fails cleanly, or copes where coping is right: the expected exit status, the file and
 * the field named, no stack trace, no raw hostile bytes echoed, bounded output, time and heap.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Baseline, benchEnv, buildBaseline } from "./baseline.ts";
import { type CaseContext, type HostileCase, resolveDynamic } from "./case.ts";
import { flagCases } from "./cases-flags.ts";
import { journalCases } from "./cases-journals.ts";
import { manifestCases } from "./cases-manifests.ts";
import { mirrorCases } from "./cases-mirrors.ts";
import { resultCases } from "./cases-results.ts";
import { suiteCases } from "./cases-suites.ts";
import {
  bounds,
  contractBreaches,
  copyTree,
  excerpt,
  freshDir,
  type RunResult,
  runBench,
  tableRoot,
} from "./harness.ts";

const cases: HostileCase[] = [
  ...manifestCases,
  ...suiteCases,
  ...flagCases,
  ...resultCases,
  ...journalCases,
  ...mirrorCases,
];

let root: string;
let baseline: Baseline;

beforeAll(async () => {
  root = tableRoot();
  baseline = await buildBaseline(root);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

async function runCase(test: HostileCase): Promise<RunResult> {
  const dir = freshDir(join(root, "cases"), "case-");
  const c: CaseContext = { base: baseline, dir, repo: join(dir, "repo"), home: join(dir, "home") };
  copyTree(baseline.repo, c.repo);
  test.setup?.(c);
  const result = await runBench(resolveDynamic(test.args, c), {
    cwd: c.repo,
    env: benchEnv(c.home, test.env ? resolveDynamic(test.env, c) : {}),
  });
  const text = result.stdout + result.stderr;
  const missing = resolveDynamic(test.mentions, c).filter((m) =>
    typeof m === "string" ? !text.includes(m) : !m.test(text),
  );
  expect(
    { code: result.code, breaches: contractBreaches(result), missing },
    `output of ${JSON.stringify(resolveDynamic(test.args, c))}: ${excerpt(result)}`,
  ).toEqual({ code: test.code, breaches: [], missing: [] });
  return result;
}

describe("the baseline repository", () => {
  it("validates and verifies", async () => {
    const env = benchEnv(join(root, "cases", "check", "home"));
    const validate = await runBench(["validate"], { cwd: baseline.repo, env });
    const verify = await runBench(["verify"], { cwd: baseline.repo, env });
    expect([validate.code, verify.code], excerpt(validate) + excerpt(verify)).toEqual([0, 0]);
    expect(verify.stdout).toContain("1 checked: 1 trusted");
  });

  // Building the baseline ran an eval into an --out whose org folder is a file: it is a hostile
  // case of its own, checked here rather than paid for twice.
  it("reports an --out blocked by a file after the run, naming --out, and keeps the journal", () => {
    const result = baseline.blocked;
    expect(
      {
        code: result.code,
        breaches: contractBreaches(result),
        mentions: ["--out", "blocked/bench", baseline.journal.name].filter(
          (m) => !(result.stdout + result.stderr).includes(m),
        ),
      },
      excerpt(result),
    ).toEqual({ code: 2, breaches: [], mentions: [] });
  });
});

describe(`hostile inputs (${cases.length} cases, each within ${bounds.millis} ms)`, () => {
  it("has at least 40 distinct cases", () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.concurrent.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, test) => {
    await runCase(test);
  });
});
