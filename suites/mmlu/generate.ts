/**
 * Writes suites/mmlu/suite.yaml: one task per MMLU subject, pinned to the URLs and sha256s that
 * the shared dataset folder's SOURCE.json records. After changing the template below, bump the
 * suite's version (below) and run it from the repository root:
 *
 *   node suites/mmlu/generate.ts [path/to/datasets/mmlu/SOURCE.json]
 *
 * evaluator/test/suites/suites.test.ts checks that the committed YAML is what it generates.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One file of the dataset's SOURCE.json. */
export interface SourceFile {
  file: string;
  raw_url: string;
  sha256: string;
  split: string;
}

/** A JSON string is a YAML double-quoted scalar. */
const quoted = (text: string) => JSON.stringify(text);

const dataset = (file: SourceFile, indent: string) =>
  [
    `url: ${file.raw_url}`,
    `sha256: ${file.sha256}`,
    "format: csv",
    "header: false",
    "columns: [question, A, B, C, D, answer]",
  ].map((line) => `${indent}${line}`);

// lm-eval's _default_template_yaml doc_to_text; one dev question holds CRLF line breaks, which
// the HF dataset (read by Python in universal-newline mode) has as LF.
const prompt =
  "{{ question.replace('\\r\\n', '\\n').strip() }}\nA. {{ A }}\nB. {{ B }}\nC. {{ C }}\nD. {{ D }}\nAnswer:";

/**
 * lm-evaluation-harness's subject → category map (lm_eval/tasks/mmlu/_generate_configs.py
 * SUBJECTS); its `mmlu` group is the four categories, each aggregated with weight_by_size.
 */
export const categories: Record<string, "stem" | "humanities" | "social_sciences" | "other"> = {
  abstract_algebra: "stem",
  anatomy: "stem",
  astronomy: "stem",
  business_ethics: "other",
  clinical_knowledge: "other",
  college_biology: "stem",
  college_chemistry: "stem",
  college_computer_science: "stem",
  college_mathematics: "stem",
  college_medicine: "other",
  college_physics: "stem",
  computer_security: "stem",
  conceptual_physics: "stem",
  econometrics: "social_sciences",
  electrical_engineering: "stem",
  elementary_mathematics: "stem",
  formal_logic: "humanities",
  global_facts: "other",
  high_school_biology: "stem",
  high_school_chemistry: "stem",
  high_school_computer_science: "stem",
  high_school_european_history: "humanities",
  high_school_geography: "social_sciences",
  high_school_government_and_politics: "social_sciences",
  high_school_macroeconomics: "social_sciences",
  high_school_mathematics: "stem",
  high_school_microeconomics: "social_sciences",
  high_school_physics: "stem",
  high_school_psychology: "social_sciences",
  high_school_statistics: "stem",
  high_school_us_history: "humanities",
  high_school_world_history: "humanities",
  human_aging: "other",
  human_sexuality: "social_sciences",
  international_law: "humanities",
  jurisprudence: "humanities",
  logical_fallacies: "humanities",
  machine_learning: "stem",
  management: "other",
  marketing: "other",
  medical_genetics: "other",
  miscellaneous: "other",
  moral_disputes: "humanities",
  moral_scenarios: "humanities",
  nutrition: "other",
  philosophy: "humanities",
  prehistory: "humanities",
  professional_accounting: "other",
  professional_law: "humanities",
  professional_medicine: "other",
  professional_psychology: "social_sciences",
  public_relations: "social_sciences",
  security_studies: "social_sciences",
  sociology: "social_sciences",
  us_foreign_policy: "social_sciences",
  virology: "other",
  world_religions: "humanities",
};

/** The suite's YAML text for the files that `source` (the parsed SOURCE.json) lists. */
export function mmluSuiteYaml(source: { files: SourceFile[] }): string {
  const fileOf = (subject: string, split: "dev" | "test"): SourceFile => {
    const file = source.files.find((f) => f.file === `${split}/${subject}_${split}.csv`);
    if (!file) throw new Error(`SOURCE.json lists no ${split} file for ${subject}`);
    return file;
  };
  const subjects = source.files
    .filter((f) => f.split === "test")
    .map((f) => f.file.replace(/^test\//, "").replace(/_test\.csv$/, ""))
    .sort();
  if (subjects.length !== 57) throw new Error(`expected 57 subjects, found ${subjects.length}`);
  const unknown = subjects.filter((subject) => !categories[subject]);
  if (unknown.length > 0) throw new Error(`no category for ${unknown.join(", ")}`);
  // Block lists: a flow list this long is past the formatter's line width.
  const group = (id: string, members: string[]) => [
    `  - id: ${id}`,
    "    tasks:",
    ...members.map((member) => `      - ${member}`),
  ];
  const inCategory = (category: string) => subjects.filter((s) => categories[s] === category);

  const task = (subject: string) => [
    `  - id: ${subject}`,
    "    type: multiple_choice",
    `    description: ${quoted(`lm-eval mmlu_${subject}: the test split, 5-shot from the dev split (first_n).`)}`,
    "    dataset:",
    ...dataset(fileOf(subject, "test"), "      "),
    `    preamble: ${quoted(`The following are multiple choice questions (with answers) about ${subject.replaceAll("_", " ")}.\n\n`)}`,
    `    prompt: ${quoted(prompt)}`,
    `    choices: ${quoted("['A', 'B', 'C', 'D']")}`,
    "    target: answer",
    "    fewshot:",
    "      n: 5",
    "      dataset:",
    ...dataset(fileOf(subject, "dev"), "        "),
    "      sampler: first_n",
    "    metrics: [acc]",
  ];

  return [
    "# MMLU as lm-evaluation-harness's `mmlu` group defines its 57 subject tasks (test split, 5-shot",
    "# from the dev split). Generated by generate.ts from the dataset's SOURCE.json: edit the",
    "# generator, not this file.",
    "schemaVersion: 1",
    "id: mmlu",
    "name: MMLU",
    "version: 1.1.0",
    "category: knowledge",
    "license: MIT",
    "description: >-",
    "  Massive Multitask Language Understanding (Hendrycks et al. 2021): 14,042 four-choice exam",
    "  questions in 57 subjects, from elementary mathematics to professional law, each shown with",
    "  five solved examples of its subject and scored by the log-likelihood of the answer letter.",
    "quick:",
    "  items: 20",
    "  seed: 1234",
    "# lm-eval's groups, weighted by size: the whole of MMLU first (the headline), then its categories.",
    "groups:",
    ...group("mmlu", subjects),
    ...["stem", "humanities", "social_sciences", "other"].flatMap((c) => group(c, inCategory(c))),
    "tasks:",
    ...subjects.flatMap(task),
    "",
  ].join("\n");
}

if (import.meta.main) {
  const sourcePath = process.argv[2] ?? join("..", "shared", "datasets", "mmlu", "SOURCE.json");
  const yaml = mmluSuiteYaml(JSON.parse(readFileSync(sourcePath, "utf8")));
  writeFileSync(join(import.meta.dirname, "suite.yaml"), yaml);
  process.stdout.write(`wrote suites/mmlu/suite.yaml from ${sourcePath}\n`);
}
