import { copyFileSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import {
  datasetFile,
  datasetLines,
  defineCases,
  suiteFile as file,
  weightsFile,
  writeDataset,
  writeRaw,
  writeSuite,
} from "./case.ts";

const validate = ["validate", file] as const;
const evalSmoke = [
  "eval",
  "models/bench/tiny-random-llama.yaml",
  "--suite",
  "smoke",
  "--limit",
  "2",
  "--threads",
  "1",
] as const;
const task = "$.tasks[0]";

type TaskFields = Record<string, unknown>;
const editTask = (edit: (t: TaskFields) => void) => (s: { tasks: TaskFields[] }) =>
  edit(s.tasks[0] as TaskFields);

export const suiteCases = defineCases([
  {
    name: "suite: unknown task type",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => Object.assign(t, { type: "multiple_choise" })),
      ),
    args: validate,
    code: 1,
    mentions: [file, `${task}.type`, "multiple_choice"],
  },
  {
    name: "suite: task without choices",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => {
          delete t.choices;
        }),
      ),
    args: validate,
    code: 1,
    mentions: [file, task, "choices"],
  },
  {
    // multiple_choice is the only task type and acc/acc_norm both apply to it, so a metric of
    // another task type cannot be written yet; an unknown metric stands in for it.
    name: "suite: unknown metric",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => Object.assign(t, { metrics: ["acc", "accuracy"] })),
      ),
    args: validate,
    code: 1,
    mentions: [file, `${task}.metrics[1]`, "acc"],
  },
  {
    name: "suite: template refers to an undefined variable (typo), seen at eval time",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => Object.assign(t, { prompt: "Question: {{ questoin }}" })),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.prompt`, "questoin"],
  },
  {
    name: "suite: template loops 10^8 times",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) =>
          Object.assign(t, {
            prompt: "{% for i in range(100000000) %}{{ i }}{% endfor %}{{ question }}",
          }),
        ),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.prompt`],
  },
  {
    name: "suite: template nests loops 10^4 x 10^4",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) =>
          Object.assign(t, {
            prompt:
              "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}{{ question }}",
          }),
        ),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.prompt`],
  },
  {
    name: "suite: template output grows without bound",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => Object.assign(t, { prompt: "{{ question * 100000000 }}" })),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.prompt`],
  },
  {
    name: "suite: recursive macro",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) =>
          Object.assign(t, {
            prompt: "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}{{ question }}",
          }),
        ),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.prompt`],
  },
  {
    name: "suite: template syntax error",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => Object.assign(t, { prompt: "Question: {{ question " })),
      ),
    args: validate,
    code: 1,
    mentions: [file, `${task}.prompt`],
  },
  {
    name: "suite: template reaches for the constructor",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) =>
          Object.assign(t, {
            prompt: "{{ question.constructor.constructor('return process')().exit(0) }}",
          }),
        ),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.prompt`],
  },
  {
    name: "suite: choices expression names a missing field",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => Object.assign(t, { choices: "choicez" })),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, "choicez"],
  },
  {
    name: "suite: dataset.path escapes the suite folder",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) =>
          Object.assign(t, {
            dataset: {
              path: "../../models/bench/tiny-random-llama.gguf",
              sha256: "a".repeat(64),
              format: "jsonl",
            },
          }),
        ),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset.path`],
  },
  {
    name: "suite: dataset.path is a symlink to a file outside the suite",
    setup: (c) => {
      copyFileSync(join(c.repo, weightsFile), join(c.dir, "outside.jsonl"));
      symlinkSync(join(c.dir, "outside.jsonl"), join(c.repo, "suites/smoke/linked.jsonl"));
      writeSuite(
        c,
        editTask((t) =>
          Object.assign(t, {
            dataset: { path: "linked.jsonl", sha256: "a".repeat(64), format: "jsonl" },
          }),
        ),
      );
    },
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset.path`],
  },
  {
    name: "suite: dataset.path is the suite folder itself",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) =>
          Object.assign(t, { dataset: { path: ".", sha256: "a".repeat(64), format: "jsonl" } }),
        ),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`],
  },
  {
    name: "suite: dataset with a line that is not JSON",
    setup: (c) =>
      writeDataset(c, [...datasetLines(3), "{question: oops", ...datasetLines(2)].join("\n")),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`, ":4"],
  },
  {
    name: "suite: dataset record that is not an object",
    setup: (c) => writeDataset(c, [...datasetLines(2), '["a", "b"]'].join("\n")),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`, ":3"],
  },
  {
    name: "suite: dataset with NUL bytes",
    setup: (c) => writeDataset(c, [datasetLines(1)[0], '{"question": "a\u0000b"}'].join("\n")),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`, ":2"],
  },
  {
    name: "suite: dataset record with a duplicate key",
    setup: (c) =>
      writeDataset(c, '{"question": "q", "choices": ["a", "b"], "answer": 0, "answer": 1}\n'),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`, ":1", "answer"],
  },
  {
    name: "suite: dataset record nested 10,000 deep",
    setup: (c) => writeDataset(c, `{"question": ${"[".repeat(10_000)}${"]".repeat(10_000)}}\n`),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`, ":1"],
  },
  {
    name: "suite: dataset line of 2 MB",
    setup: (c) => writeDataset(c, `{"question": "${"q".repeat(2 << 20)}"}\n`),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`, ":1"],
  },
  {
    name: "suite: dataset record whose target is not a choice",
    setup: (c) => writeDataset(c, '{"question": "q", "choices": ["a", "b"], "answer": 7}\n'),
    args: evalSmoke,
    code: 1,
    mentions: [file, task, "record 0", "target"],
  },
  {
    name: "suite: dataset record whose choices are not a list of strings",
    setup: (c) => writeDataset(c, '{"question": "q", "choices": {"length": 1e9}, "answer": 0}\n'),
    args: evalSmoke,
    code: 1,
    mentions: [file, ":1", "choices"],
  },
  {
    name: "suite: dataset in Latin-1",
    setup: (c) =>
      writeDataset(
        c,
        Buffer.from('{"question": "caf\u00e9", "choices": ["a"], "answer": 0}\n', "latin1"),
      ),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset`, ":1", "UTF-8"],
  },
  {
    name: "suite: dataset sha256 does not match",
    setup: (c) => writeRaw(c, datasetFile, `${datasetLines(3).join("\n")}\n`),
    args: evalSmoke,
    code: 1,
    mentions: [file, `${task}.dataset.sha256`],
  },
  {
    name: "suite: id does not match its folder",
    setup: (c) => writeSuite(c, (s) => Object.assign(s, { id: "smoky" })),
    args: validate,
    code: 1,
    mentions: [file, "$.id"],
  },
  {
    name: "suite: duplicate task ids",
    setup: (c) => writeSuite(c, (s) => s.tasks.push({ ...(s.tasks[0] as TaskFields) })),
    args: validate,
    code: 1,
    mentions: [file, "$.tasks[1].id"],
  },
  {
    name: "suite: suite.yaml is a folder",
    setup: (c) => {
      rmSync(join(c.repo, file));
      mkdirSync(join(c.repo, file));
    },
    args: evalSmoke,
    code: 1,
    mentions: [file],
  },
  {
    name: "suite: --suite names a file outside the repository that is not YAML",
    args: [...evalSmoke.slice(0, 3), "/etc/passwd"],
    code: 1,
    mentions: ["/etc/passwd"],
  },
  {
    name: "suite: --suite with a path into a traversal",
    args: [...evalSmoke.slice(0, 3), "../../../../../../../../etc"],
    code: 1,
    mentions: ["/etc/suite.yaml"],
  },
  {
    name: "suite: prompt with a bidi override",
    setup: (c) =>
      writeSuite(
        c,
        editTask((t) => Object.assign(t, { prompt: "Q: {{ question }}\u202E A:" })),
      ),
    args: validate,
    code: 1,
    mentions: [file, `${task}.prompt`],
  },
]);
