import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedDir, tempDir } from "../../test/helpers.ts";
import { resolveArtifact } from "../artifacts/resolve.ts";
import { readJoined } from "./join.ts";
import { type DatasetDeclaration, readDataset } from "./read.ts";

const datasetsDir = join(sharedDir, "datasets");
const hasDatasets = existsSync(join(datasetsDir, "INDEX.md"));
const missing = `../shared/datasets is not beside the repository (${datasetsDir})`;

interface SourceFile {
  file: string;
  raw_url: string;
  sha256: string;
  records: number;
}

/** A file's entry in `<name>/SOURCE.json`: where it was published, its sha256, its count. */
function source(name: string, file: string): SourceFile {
  const listed = JSON.parse(readFileSync(join(datasetsDir, name, "SOURCE.json"), "utf8")) as {
    files: SourceFile[];
  };
  const entry = listed.files.find((f) => f.file === file);
  if (!entry) throw new Error(`${name}/SOURCE.json lists no ${file}`);
  return entry;
}

const mmluColumns: [string, ...string[]] = ["question", "A", "B", "C", "D", "answer"];

/** name, file (as SOURCE.json names it), declaration less its pin, expected count. */
const cases: [string, string, Omit<DatasetDeclaration, "url">, number][] = [
  [
    "mmlu",
    "test/abstract_algebra_test.csv",
    { format: "csv", header: false, columns: mmluColumns },
    100,
  ],
  ["truthfulqa", "mc_task.json", { format: "json" }, 790],
  ["truthfulqa", "v1/mc_task.json", { format: "json" }, 817],
  ["pubmedqa", "ori_pqal.json", { format: "json", keyField: "pmid" }, 1000],
  ["legalbench_prerelease", "hearsay/test.tsv", { format: "tsv", header: true }, 95],
  ["humaneval", "HumanEval.jsonl.gz", { format: "jsonl" }, 164],
  ["hellaswag_llamacpp", "hellaswag_val_full.txt", { format: "hellaswag-llamacpp" }, 10042],
  ["hellaswag_llamacpp", "hellaswag_val_full.txt.bz2", { format: "hellaswag-llamacpp" }, 10042],
];

describe.skipIf(!hasDatasets)(
  `readDataset on the published files, through their pinned sha256${hasDatasets ? "" : ` (skipped: ${missing})`}`,
  () => {
    let home: string;
    let cleanup: () => void;
    beforeAll(() => {
      ({ dir: home, cleanup } = tempDir("bench-datasets-"));
    });
    afterAll(() => cleanup());

    const loaded = new Map<string, Promise<Record<string, unknown>[]>>();
    /** Resolves the file as the runner does (mirror, sha256) and reads it, once per file. */
    function load(name: string, file: string, declared: Omit<DatasetDeclaration, "url">) {
      const key = `${name}/${file}`;
      let records = loaded.get(key);
      if (!records) {
        const { raw_url: url, sha256 } = source(name, file);
        const declaration = { ...declared, url, sha256 };
        const env = { BENCH_HOME: home, BENCH_MIRROR: datasetsDir, BENCH_OFFLINE: "1" };
        records = resolveArtifact(
          declaration,
          { declaredIn: "suite.yaml", field: "$.tasks[0].dataset", root: home },
          { env, onWarning: () => {} },
        ).then((artifact) => readDataset(artifact.path, declaration, key));
        loaded.set(key, records);
      }
      return records;
    }

    it.each(cases)("%s %s", async (name, file, declared, count) => {
      expect(source(name, file).records).toBe(count);
      const records = await load(name, file, declared);
      expect(records).toHaveLength(count);
    });

    it("reads MMLU's columns as strings, the answer a letter", async () => {
      const records = await load("mmlu", "test/abstract_algebra_test.csv", {
        format: "csv",
        header: false,
        columns: mmluColumns,
      });
      for (const record of records) {
        expect(Object.keys(record)).toEqual(mmluColumns);
        expect(Object.values(record).every((v) => typeof v === "string")).toBe(true);
        expect(record.answer).toMatch(/^[ABCD]$/);
      }
    });

    it("gives each PubMedQA record its id from the object's key, in the file's order", async () => {
      const records = await load("pubmedqa", "ori_pqal.json", { format: "json", keyField: "pmid" });
      expect(records[0]).toMatchObject({
        pmid: "21645374",
        QUESTION:
          "Do mitochondria play a role in remodelling lace plant leaves during programmed cell death?",
        final_decision: "yes",
      });
      expect(new Set(records.map((r) => r.pmid)).size).toBe(1000);
    });

    it("reads LegalBench's header row as the column names", async () => {
      const records = await load("legalbench_prerelease", "hearsay/test.tsv", {
        format: "tsv",
        header: true,
      });
      expect(Object.keys(records[0] ?? {})).toEqual(["label", "text", "slice"]);
    });

    it("joins PIQA's labels to its validation records by position", async () => {
      const env = { BENCH_HOME: home, BENCH_MIRROR: datasetsDir, BENCH_OFFLINE: "1" };
      const data = source("piqa", "valid.jsonl");
      const labels = source("piqa", "valid-labels.lst");
      const declaration = {
        url: data.raw_url,
        sha256: data.sha256,
        format: "jsonl" as const,
        join: { url: labels.raw_url, sha256: labels.sha256, field: "label" },
      };
      const artifact = await resolveArtifact(
        declaration,
        { declaredIn: "suite.yaml", field: "$.tasks[0].dataset", root: home },
        { env, onWarning: () => {} },
      );
      const records = await readJoined(
        artifact.path,
        declaration,
        { declaredIn: "suite.yaml", field: "$.tasks[0].dataset", root: home },
        { env, onWarning: () => {} },
        "piqa/valid.jsonl",
      );
      expect([records.length, labels.records]).toEqual([data.records, data.records]);
      expect(Object.keys(records[0] ?? {})).toEqual(["goal", "sol1", "sol2", "label"]);
      const counts = ["0", "1"].map((gold) => records.filter((r) => r.label === gold).length);
      expect(counts).toEqual([910, 928]);
    });

    it("reads HumanEval through gzip", async () => {
      const records = await load("humaneval", "HumanEval.jsonl.gz", { format: "jsonl" });
      expect(records.map((r) => r.task_id)).toEqual(
        Array.from({ length: 164 }, (_, i) => `HumanEval/${i}`),
      );
    });

    it("reads the same HellaSwag items from the text and from its bzip2", async () => {
      const declared = { format: "hellaswag-llamacpp" } as const;
      const text = await load("hellaswag_llamacpp", "hellaswag_val_full.txt", declared);
      const packed = await load("hellaswag_llamacpp", "hellaswag_val_full.txt.bz2", declared);
      expect(packed[0]).toEqual({
        context: "Roof shingle removal: A man is sitting on a roof. he",
        label: 3,
        endings: [
          "is using wrap to wrap a pair of skis.",
          "is ripping level tiles off.",
          "is holding a rubik's cube.",
          "starts pulling up roofing on a roof.",
        ],
      });
      expect(packed[0]).toEqual(text[0]);
      expect(packed.at(-1)).toEqual(text.at(-1));
      const counts = [0, 1, 2, 3].map((gold) => text.filter((r) => r.label === gold).length);
      expect(counts).toEqual([2515, 2485, 2584, 2458]);
    });
  },
);
