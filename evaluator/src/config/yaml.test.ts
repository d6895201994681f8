import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.ts";
import { BenchError } from "../errors/index.ts";
import { readYaml, yamlLimits } from "./yaml.ts";

let root: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir: root, cleanup } = tempDir("bench-yaml-"));
});
afterAll(() => cleanup());

let counter = 0;
/** Writes `content` to a fresh file and returns its path. */
function fileWith(content: string | Uint8Array): string {
  counter += 1;
  const path = join(root, `f${counter}.yaml`);
  writeFileSync(path, content);
  return path;
}

/** The error readYaml throws, with the temp folder replaced by <tmp>. */
function failure(path: string, limits = yamlLimits) {
  try {
    readYaml(path, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchError);
    const { code, message, hint } = error as BenchError;
    return { code, message: message.replaceAll(root, "<tmp>"), hint };
  }
  throw new Error("expected readYaml to fail");
}

const billionLaughs = `a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
`;

function nestedBlocks(levels: number): string {
  let text = "";
  for (let i = 0; i < levels; i++) text += `${"  ".repeat(i)}k:\n`;
  return `${text}${"  ".repeat(levels)}leaf: 1\n`;
}

describe("readYaml", () => {
  it("returns the data and the text of a plain mapping", () => {
    const text = "id: acme/tiny\ntags: [a, b]\nnested:\n  n: 1\n  t: !!str 2\n";
    expect(readYaml(fileWith(text))).toEqual({
      data: { id: "acme/tiny", tags: ["a", "b"], nested: { n: 1, t: "2" } },
      text,
    });
  });

  it("accepts a few aliases, tabs and line breaks in text, and 64 levels of nesting", () => {
    const text = `a: &x {k: v}\nb: *x\nc: "tab\\there\\r\\nnext"\n${nestedBlocks(63)}`;
    expect(readYaml(fileWith(text)).data.b).toEqual({ k: "v" });
  });

  it.each([
    ["an empty file", "", "<tmp>/F: is empty (only blanks or comments)"],
    [
      "blanks and comments only",
      "  \n# only a comment\n\n",
      "<tmp>/F: is empty (only blanks or comments)",
    ],
    ["a lone document marker", "---\n", "<tmp>/F: is empty (only blanks or comments)"],
    [
      "two documents",
      "id: a\n---\nid: b\n",
      "<tmp>/F:2:1: a second YAML document starts here (expected one document per file)",
    ],
    [
      "a list at the top",
      "- a\n- b\n",
      "<tmp>/F: the top level is a list (expected a mapping of fields)",
    ],
    [
      "a string at the top",
      "just text\n",
      "<tmp>/F: the top level is a string (expected a mapping of fields)",
    ],
    [
      "a custom tag",
      "id: !custom x\n",
      "<tmp>/F:1:13: the tag !custom is not allowed (only plain data: mappings, lists, strings, numbers, booleans, null)",
    ],
    [
      "a !!js/function tag",
      "run: !!js/function 'function () {}'\n",
      "<tmp>/F:1:20: the tag !!js/function is not allowed (only plain data: mappings, lists, strings, numbers, booleans, null)",
    ],
    [
      "a !!binary tag",
      "blob: !!binary aGk=\n",
      "<tmp>/F:1:16: the tag !!binary is not allowed (only plain data: mappings, lists, strings, numbers, booleans, null)",
    ],
    [
      "a tag on a mapping",
      "x: !!set {a, b}\n",
      "<tmp>/F:1:10: the tag !!set is not allowed (only plain data: mappings, lists, strings, numbers, booleans, null)",
    ],
    [
      "65 levels of block nesting",
      nestedBlocks(64),
      "<tmp>/F:65:129: nesting is deeper than 64 levels",
    ],
    [
      "20,000 levels of flow nesting",
      `a: ${"[".repeat(20000)}${"]".repeat(20000)}\n`,
      "<tmp>/F: nesting is deeper than 64 levels",
    ],
    [
      "100 levels of flow nesting",
      `a: ${"[".repeat(100)}${"]".repeat(100)}\n`,
      "<tmp>/F:1:67: nesting is deeper than 64 levels",
    ],
    [
      "an alias bomb (billion laughs)",
      billionLaughs,
      '<tmp>/F: expands aliases too often (over the budget of 100, as a "billion laughs" file does)',
    ],
    [
      "a syntax error",
      "id: [unclosed\nname: x\n",
      "<tmp>/F:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
    ["a repeated key", "id: a\nid: b\n", "<tmp>/F:2:1: YAML syntax error: Map keys must be unique"],
  ])("rejects %s as E_YAML", (_, text, expected) => {
    const path = fileWith(text);
    const { code, message } = failure(path);
    expect({ code, message }).toEqual({
      code: "E_YAML",
      message: expected.replace("<tmp>/F", path.replace(root, "<tmp>")),
    });
  });

  it.each([
    [
      "a NUL byte",
      Uint8Array.from([...new TextEncoder().encode("id: a\nx: b"), 0, 0x41]),
      "<tmp>/F:2:5: holds a NUL byte (binary content, not YAML text)",
    ],
    [
      "Latin-1 bytes",
      Uint8Array.from([...new TextEncoder().encode("id: caf"), 0xe9, 0x0a]),
      "<tmp>/F:1:8: is not valid UTF-8 (byte 0xe9)",
    ],
    [
      "a PNG header",
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      "<tmp>/F:1:1: is not valid UTF-8 (byte 0x89)",
    ],
  ])("rejects %s as E_YAML without echoing the bytes", (_, bytes, expected) => {
    const path = fileWith(bytes);
    const { code, message } = failure(path);
    expect({ code, message }).toEqual({
      code: "E_YAML",
      message: expected.replace("<tmp>/F", path.replace(root, "<tmp>")),
    });
  });

  it("rejects a file over the size limit before reading it", () => {
    const path = fileWith(`id: a\npad: "${"x".repeat(2000)}"\n`);
    expect(failure(path, { ...yamlLimits, maxBytes: 1024 })).toEqual({
      code: "E_YAML",
      message: `${path.replace(root, "<tmp>")}: is 2 KiB, over the 1 KiB limit`,
      hint: "manifests and suites are small hand-written files; keep data in datasets",
    });
  });

  it.each([
    [
      "a right-to-left override in a value",
      'tasks:\n  - prompt: "Answer\u202E:"\n',
      "$.tasks[0].prompt: the text contains U+202E (right-to-left override) at character 7",
    ],
    [
      "an isolate in a key",
      'id: x\n"na\u2066me": y\n',
      '$: the key "na\\u{2066}me" contains U+2066 (left-to-right isolate) at character 3',
    ],
    [
      "an escaped control character",
      'id: "acme\\x07tiny"\n',
      "$.id: the text contains U+0007 (a control character) at character 5",
    ],
    [
      "a C1 control in a nested list",
      'a:\n  b: [ok, "x\\u0085"]\n',
      "$.a.b[1]: the text contains U+0085 (a control character) at character 2",
    ],
    [
      "an odd key that needs quoting in the path",
      '"odd key":\n  - "\\e"\n',
      '$["odd key"][0]: the text contains U+001B (a control character) at character 1',
    ],
  ])("rejects %s as E_INVALID, naming the JSON path", (_, text, expected) => {
    const path = fileWith(text);
    expect(failure(path).message).toBe(`${path.replace(root, "<tmp>")}: ${expected}`);
    expect(failure(path).code).toBe("E_INVALID");
  });

  it("lists every tag problem, one line each", () => {
    const path = fileWith("a: !x 1\nb: !y 2\n");
    const label = path.replace(root, "<tmp>");
    expect(failure(path).message.split("\n")).toEqual([
      `${label}:1:7: the tag !x is not allowed (only plain data: mappings, lists, strings, numbers, booleans, null)`,
      `${label}:2:7: the tag !y is not allowed (only plain data: mappings, lists, strings, numbers, booleans, null)`,
    ]);
  });

  it.each([
    [
      "a missing file",
      () => join(root, "absent.yaml"),
      "E_NOT_FOUND",
      "<tmp>/absent.yaml: no such file",
    ],
    [
      "a folder",
      () => {
        mkdirSync(join(root, "folder.yaml"), { recursive: true });
        return join(root, "folder.yaml");
      },
      "E_NOT_A_FILE",
      "<tmp>/folder.yaml: is a folder, not a file",
    ],
    [
      "a symbolic link to a folder",
      () => {
        mkdirSync(join(root, "target-folder"), { recursive: true });
        symlinkSync(join(root, "target-folder"), join(root, "link.yaml"));
        return join(root, "link.yaml");
      },
      "E_NOT_A_FILE",
      "<tmp>/link.yaml: is a folder, not a file",
    ],
  ])("rejects %s", (_, setup, code, message) => {
    const { code: actual, message: text } = failure(setup());
    expect({ code: actual, message: text }).toEqual({ code, message });
  });
});
