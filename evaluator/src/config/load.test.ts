import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, writeFiles } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { loadManifest, loadSuite } from "./load.ts";

const sha = "a".repeat(64);
const goodManifest = `schemaVersion: 1
id: acme/tiny
name: Tiny
license: MIT
purpose: evaluation
backend:
  type: gguf
weights:
  url: https://example.org/tiny.gguf
  sha256: ${sha}
`;
const goodSuite = `schemaVersion: 1
id: demo
name: Demo
version: 1.0.0
category: smoke
license: MIT
tasks:
  - id: mc
    type: multiple_choice
    dataset:
      path: items.jsonl
      sha256: ${sha}
      format: jsonl
    prompt: "Q: {{ question }}\\nA:"
    choices: choices
    target: answer
    metrics: [acc, acc_norm]
`;

let root: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir: root, cleanup } = tempDir());
});
afterAll(() => cleanup());

/** Writes a manifest at models/acme/tiny.yaml and returns the error text, paths relative to the temp root. */
function manifestError(text: string, name = "acme/tiny"): string {
  writeFiles(root, { [`models/${name}.yaml`]: text });
  try {
    loadManifest(`${root}/models/${name}.yaml`);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    return (error as BenchError).message.replaceAll(root, "<tmp>");
  }
  throw new Error("expected the manifest to be rejected");
}

function suiteError(text: string, folder = "demo"): string {
  writeFiles(root, { [`suites/${folder}/suite.yaml`]: text });
  try {
    loadSuite(`${root}/suites/${folder}/suite.yaml`);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    return (error as BenchError).message.replaceAll(root, "<tmp>");
  }
  throw new Error("expected the suite to be rejected");
}

describe("model manifests", () => {
  it("accepts a valid manifest", () => {
    writeFiles(root, { "models/acme/tiny.yaml": goodManifest });
    expect(loadManifest(`${root}/models/acme/tiny.yaml`).data.id).toBe("acme/tiny");
  });

  it.each([
    [
      "missing required field",
      goodManifest.replace("license: MIT\n", ""),
      "$.license: is required but missing (expected SPDX id or the licence's name.)",
    ],
    [
      "misspelt field",
      goodManifest.replace("weights:", "wieghts:"),
      "$.wieghts: unknown property (did you mean 'weights'?",
    ],
    [
      "bad sha256",
      goodManifest.replace(sha, "ABC"),
      '$.weights.sha256: "ABC" is malformed (expected a sha256: 64 lowercase hex characters)',
    ],
    [
      "http url",
      goodManifest.replace("https://", "http://"),
      '$.weights.url: "http://example.org/tiny.gguf" is malformed (expected an https:// URL)',
    ],
    [
      "both url and path",
      goodManifest.replace("  sha256:", "  path: tiny.gguf\n  sha256:"),
      "$.weights: sets more than one of 'url', 'path' (expected exactly one)",
    ],
    [
      "neither url nor path",
      goodManifest.replace("  url: https://example.org/tiny.gguf\n", ""),
      "$.weights: sets none of 'url', 'path' (expected exactly one)",
    ],
    [
      "wrong purpose",
      goodManifest.replace("purpose: evaluation", "purpose: fun"),
      '$.purpose: "fun" is not allowed (expected one of: "evaluation", "pipeline-check")',
    ],
    [
      "wrong type",
      goodManifest.replace("name: Tiny", "name: [a, b]"),
      "$.name: is an array (expected string)",
    ],
    [
      "wrong schema version",
      goodManifest.replace("schemaVersion: 1", "schemaVersion: 2"),
      "$.schemaVersion: 2 is not allowed (expected 1)",
    ],
    [
      "unknown backend",
      goodManifest.replace("type: gguf", "type: ggfu"),
      "$.backend.type: unknown backend 'ggfu' (did you mean 'gguf'? valid: gguf, onnx, openai)",
    ],
    [
      "id not matching the path",
      goodManifest.replace("id: acme/tiny", "id: acme/other"),
      '$.id: "acme/other" does not match the file\'s place (expected "acme/tiny")',
    ],
    [
      "context size out of range",
      goodManifest.replace("type: gguf", "type: gguf\n  contextSize: 4"),
      "$.backend.contextSize: 4 is out of range (expected >= 16)",
    ],
    [
      "YAML syntax",
      "id: [unclosed\nname: x\n",
      "<tmp>/models/acme/tiny.yaml:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
  ])("%s", (_, text, expected) => {
    const message = manifestError(text);
    expect(message).toContain(expected);
    expect(message.startsWith("<tmp>/models/acme/tiny.yaml")).toBe(true);
  });

  // Wherever the file sits, its id must be models/<org>/<name>.yaml's: a nested folder or a
  // file outside models/ once skipped the check, and bench eval signed results under any id.
  it.each([
    ["a nested folder", "models/acme/sub/tiny.yaml", "acme/tiny"],
    ["a nested folder named like the id", "models/acme/tiny/tiny.yaml", "acme/tiny"],
    ["a file outside models/", "elsewhere/acme/tiny.yaml", "acme/tiny"],
    ["a file at the top of models/", "models/tiny.yaml", "acme/tiny"],
    ["a file without a .yaml extension", "models/acme/tiny.txt", "acme/tiny"],
  ])("rejects a manifest in %s (%s)", (_, place, id) => {
    writeFiles(root, { [place]: goodManifest.replace("id: acme/tiny", `id: ${id}`) });
    expect(() => loadManifest(`${root}/${place}`)).toThrow(
      `${root}/${place}: $.id: "${id}" cannot be checked against the file's place (expected the file at models/<org>/<name>.yaml, e.g. models/${id}.yaml)`,
    );
  });

  it("binds the id to the innermost models folder, and resolves paths from the folder above it", () => {
    writeFiles(root, { "a/models/b/models/acme/tiny.yaml": goodManifest });
    const loaded = loadManifest(`${root}/a/models/b/models/acme/tiny.yaml`);
    expect([loaded.data.id, loaded.root]).toEqual(["acme/tiny", `${root}/a/models/b`]);
  });

  it("lists every problem, one line each, as file: path: problem (expected …)", () => {
    const text = goodManifest
      .replace("license: MIT\n", "")
      .replace(sha, "nope")
      .replace("purpose: evaluation", "purpose: x");
    expect(manifestError(text).split("\n")).toMatchInlineSnapshot(`
      [
        "<tmp>/models/acme/tiny.yaml: $.license: is required but missing (expected SPDX id or the licence's name.)",
        "<tmp>/models/acme/tiny.yaml: $.purpose: "x" is not allowed (expected one of: "evaluation", "pipeline-check")",
        "<tmp>/models/acme/tiny.yaml: $.weights.sha256: "nope" is malformed (expected a sha256: 64 lowercase hex characters)",
      ]
    `);
  });
});

describe("suites", () => {
  it("accepts a valid suite", () => {
    writeFiles(root, { "suites/demo/suite.yaml": goodSuite });
    expect(loadSuite(`${root}/suites/demo/suite.yaml`).data.tasks).toHaveLength(1);
  });

  it.each([
    [
      "unknown metric",
      goodSuite.replace("[acc, acc_norm]", "[acc, acc-norm]"),
      "$.tasks[0].metrics[1]: unknown metric 'acc-norm' (did you mean 'acc_norm'? valid: acc, acc_norm, acc_bytes, mc1, mc2, balanced_acc)",
    ],
    [
      "unknown task type",
      goodSuite.replace("type: multiple_choice", "type: multiple-choice"),
      "$.tasks[0].type: unknown task type 'multiple-choice' (did you mean 'multiple_choice'? valid: multiple_choice, generate, code, judge, toxicity)",
    ],
    [
      "no tasks",
      goodSuite.replace(/tasks:[\s\S]*/, "tasks: []\n"),
      "$.tasks: has too few items (expected at least 1)",
    ],
    [
      "bad Jinja",
      goodSuite.replace("{{ question }}", "{{ question "),
      "$.tasks[0].prompt: Jinja syntax error",
    ],
    [
      "id not matching folder",
      goodSuite.replace("id: demo", "id: other"),
      '$.id: "other" does not match its folder (expected "demo")',
    ],
    [
      "bad version",
      goodSuite.replace("version: 1.0.0", "version: one"),
      '$.version: "one" is malformed (expected a semantic version like 1.0.0)',
    ],
    [
      "missing dataset format",
      goodSuite.replace("      format: jsonl\n", ""),
      "$.tasks[0].dataset.format: is required but missing",
    ],
    [
      "duplicate task ids",
      goodSuite + goodSuite.slice(goodSuite.indexOf("  - id: mc")),
      '$.tasks[1].id: "mc" is used by an earlier task (expected unique task ids)',
    ],
  ])("%s", (_, text, expected) => {
    expect(suiteError(text)).toContain(`<tmp>/suites/demo/suite.yaml: ${expected}`);
  });
});

describe("suites that include tasks of other suites", () => {
  const including = (include: string) => `schemaVersion: 1
id: mix
name: Mix
version: 1.0.0
category: domain:medical
license: MIT
tasks: []
include:
${include}`;

  it("takes the named tasks by reference, keeping their source and the other suite's folder", () => {
    writeFiles(root, {
      "suites/demo/suite.yaml": goodSuite,
      "suites/mix/suite.yaml": including("  - suite: demo\n    tasks: [mc]\n"),
    });
    const suite = loadSuite(`${root}/suites/mix/suite.yaml`);
    expect(
      suite.data.tasks.map((t) => [t.id, t.source.file.replaceAll(root, "<tmp>"), t.origin?.root]),
    ).toEqual([["mc", "<tmp>/suites/demo/suite.yaml", `${root}/suites/demo`]]);
  });

  it.each([
    [
      "an unknown task",
      "  - suite: demo\n    tasks: [mcq]\n",
      "$.include[0].tasks[0]: unknown task of suite demo 'mcq' (did you mean 'mc'? valid: mc)",
    ],
    [
      "an unknown suite",
      "  - suite: nope\n    tasks: [mc]\n",
      "$.include[0].suite: <tmp>/suites/nope/suite.yaml: no such file",
    ],
    [
      "itself",
      "  - suite: mix\n    tasks: [mc]\n",
      "$.include[0].suite: a suite cannot include itself",
    ],
    [
      "a task twice",
      "  - suite: demo\n    tasks: [mc]\n  - suite: demo\n    tasks: [mc]\n",
      '$.include[1].tasks[0]: "mc" is used by an earlier task (expected unique task ids)',
    ],
  ])("rejects %s", (_, include, expected) => {
    writeFiles(root, { "suites/demo/suite.yaml": goodSuite });
    expect(suiteError(including(include), "mix")).toContain(
      `<tmp>/suites/mix/suite.yaml: ${expected}`,
    );
  });

  it("rejects a suite that includes a suite that includes another", () => {
    writeFiles(root, {
      "suites/demo/suite.yaml": goodSuite,
      "suites/middle/suite.yaml": including("  - suite: demo\n    tasks: [mc]\n").replace(
        "id: mix",
        "id: middle",
      ),
    });
    expect(suiteError(including("  - suite: middle\n    tasks: [mc]\n"), "mix")).toContain(
      "$.include[0].suite: <tmp>/suites/middle/suite.yaml: $.include[0]: this suite is included by another suite",
    );
  });

  it("still needs a task when it includes none", () => {
    expect(suiteError(including("").replace("\ninclude:\n", "\n"), "mix")).toContain(
      "<tmp>/suites/mix/suite.yaml: $.tasks: has too few items (expected at least 1)",
    );
  });
});

describe("task groups", () => {
  it.each([
    [
      "an unknown task",
      "groups:\n  - id: all\n    tasks: [mcq]\n",
      "$.groups[0].tasks[0]: unknown task 'mcq' (did you mean 'mc'? valid: mc)",
    ],
    [
      "an id taken by a task",
      "groups:\n  - id: mc\n    tasks: [mc]\n",
      '$.groups[0].id: "mc" is used by a task or an earlier group (expected unique ids)',
    ],
    [
      "an empty group",
      "groups:\n  - id: all\n    tasks: []\n",
      "$.groups[0].tasks: has too few items (expected at least 1)",
    ],
  ])("rejects %s", (_, groups, expected) => {
    const text = goodSuite.replace("tasks:\n", `${groups}tasks:\n`);
    expect(suiteError(text)).toContain(`<tmp>/suites/demo/suite.yaml: ${expected}`);
  });

  it("accepts a group of the suite's tasks", () => {
    writeFiles(root, {
      "suites/demo/suite.yaml": goodSuite.replace(
        "tasks:\n",
        "groups:\n  - id: all\n    tasks: [mc]\ntasks:\n",
      ),
    });
    expect(loadSuite(`${root}/suites/demo/suite.yaml`).data.groups).toEqual([
      { id: "all", tasks: ["mc"] },
    ]);
  });
});
