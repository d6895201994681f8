import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers.ts";
import {
  type CaseContext,
  defineCases,
  manifestFile as file,
  tinyWeights,
  weightsFile,
  writeManifest,
  writeRaw,
} from "./case.ts";

const validate = ["validate", file] as const;
const evalSmoke = ["eval", file, "--suite", "smoke", "--limit", "1", "--threads", "1"] as const;

/** A manifest's text with one line replaced or added. */
const baseText = (extra: string) =>
  [
    "schemaVersion: 1",
    "id: bench/tiny-random-llama",
    "name: tiny",
    "license: Apache-2.0",
    "purpose: pipeline-check",
    "backend:",
    "  type: gguf",
    "  contextSize: 512",
    "weights:",
    "  path: tiny-random-llama.gguf",
    "  sha256: ad57abc9f40b44e28e6d25f019f106176f1dd552eaff3e27447b24b6d8c29f91",
    extra,
  ].join("\n");

/** Deterministic bytes that are neither text nor YAML. */
function garbage(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export const manifestCases = defineCases([
  {
    name: "manifest: id does not match its path",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.id = "bench/other-model";
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.id"],
  },
  {
    name: "manifest: nested folder models/a/b/c.yaml",
    setup: (c) =>
      writeManifest(
        c,
        (m) => {
          m.id = "b/c";
        },
        "models/a/b/c.yaml",
      ),
    args: ["validate", "models/a/b/c.yaml"],
    code: 1,
    mentions: ["models/a/b/c.yaml", "$.id"],
  },
  {
    name: "manifest: outside models/",
    setup: (c) => {
      writeManifest(c, () => {}, "elsewhere/tiny-random-llama.yaml");
      copyFileSync(join(c.repo, weightsFile), join(c.repo, "elsewhere/tiny-random-llama.gguf"));
    },
    args: ["eval", "elsewhere/tiny-random-llama.yaml", "--suite", "smoke"],
    code: 1,
    mentions: ["elsewhere/tiny-random-llama.yaml", "$.id"],
  },
  {
    name: "manifest: weights.path absolute",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights.path = join(c.repo, weightsFile);
      }),
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: weights.path Windows-absolute",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights.path = "C:\\models\\tiny-random-llama.gguf";
      }),
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: weights.path escapes with ../",
    setup: (c) => {
      copyFileSync(join(c.repo, weightsFile), join(c.dir, "outside.gguf"));
      writeManifest(c, (m) => {
        m.weights.path = "../../../outside.gguf";
      });
    },
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: weights.path is a symlink leading outside the repository",
    setup: (c) => {
      copyFileSync(join(c.repo, weightsFile), join(c.dir, "outside.gguf"));
      symlinkSync(join(c.dir, "outside.gguf"), join(c.repo, "models/bench/linked.gguf"));
      writeManifest(c, (m) => {
        m.weights.path = "linked.gguf";
      });
    },
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: weights.path is a symlink to /dev/zero",
    setup: (c) => {
      symlinkSync("/dev/zero", join(c.repo, "models/bench/zero.gguf"));
      writeManifest(c, (m) => {
        m.weights.path = "zero.gguf";
      });
    },
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: weights.path is a folder",
    setup: (c) => {
      mkdirSync(join(c.repo, "models/bench/weights.gguf"));
      writeManifest(c, (m) => {
        m.weights.path = "weights.gguf";
      });
    },
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: weights.path is a named pipe nobody writes to",
    setup: (c) => {
      execFileSync("mkfifo", [join(c.repo, "models/bench/pipe.gguf")]);
      writeManifest(c, (m) => {
        m.weights.path = "pipe.gguf";
      });
    },
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: weights.path missing",
    setup: (c) => rmSync(join(c.repo, weightsFile)),
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.path"],
  },
  {
    name: "manifest: wrong sha256",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights.sha256 = "0".repeat(64);
      }),
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.sha256"],
  },
  {
    name: "manifest: sha256 in upper case with a trailing newline",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights.sha256 = `${"AD57ABC9F40B44E28E6D25F019F106176F1DD552EAFF3E27447B24B6D8C29F91"}\n`;
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.weights.sha256"],
  },
  {
    name: "manifest: weights.url over plain http",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights = { url: "http://example.com/tiny-random-llama.gguf", sha256: m.weights.sha256 };
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.weights.url"],
  },
  {
    name: "manifest: weights.url whose file name is ..",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights = { ...tinyWeights(c), url: "https://example.com/models/%2E%2E" };
      }),
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.url"],
  },
  {
    name: "manifest: weights.url whose file name holds an encoded slash",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights = { ...tinyWeights(c), url: "https://example.com/x/..%2F..%2Fescape.gguf" };
      }),
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.weights.url"],
  },
  {
    name: "manifest: unknown backend",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.backend.type = "ggfu";
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.backend.type", "gguf"],
  },
  {
    name: "manifest: onnx backend without a tokenizer",
    setup: (c) =>
      writeManifest(c, (m) => {
        (m as { backend: unknown }).backend = {
          type: "onnx",
          task: "sequence-classification",
          labels: ["non-toxic", "toxic"],
        };
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.tokenizer", "onnx"],
  },
  {
    name: "manifest: gguf backend with an onnx setting",
    setup: (c) =>
      writeManifest(c, (m) => {
        (m.backend as Record<string, unknown>).labels = ["toxic"];
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.backend.labels"],
  },
  {
    name: "manifest: onnx backend with no labels and an unknown activation",
    setup: (c) =>
      writeManifest(c, (m) => {
        (m as { backend: unknown }).backend = {
          type: "onnx",
          task: "sequence-classification",
          labels: [],
          activation: "relu",
        };
        (m as Record<string, unknown>).tokenizer = { path: "t.json", sha256: "0".repeat(64) };
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.backend.labels", "$.backend.activation"],
  },
  {
    name: "manifest: a classifier evaluated on a multiple-choice suite",
    setup: (c) => {
      for (const name of [
        "tiny-toxicity-classifier.onnx",
        "tiny-toxicity-classifier.tokenizer.json",
      ])
        copyFileSync(join(repoRoot, "models/bench", name), join(c.repo, "models/bench", name));
      writeManifest(c, (m) => {
        (m as { backend: unknown }).backend = {
          type: "onnx",
          task: "sequence-classification",
          labels: ["non-toxic", "toxic"],
        };
        m.weights = {
          path: "tiny-toxicity-classifier.onnx",
          sha256: "30a3fe05b305c5283dec02f75f34fb79b75ea589b64ff7f19c73a153379f42e0",
        };
        (m as Record<string, unknown>).tokenizer = {
          path: "tiny-toxicity-classifier.tokenizer.json",
          sha256: "7975358a708318d5697d97fe8c10e0822b33fbfe9774a497781c4f52f774e7c4",
        };
      });
    },
    args: evalSmoke,
    code: 1,
    mentions: ["loglikelihood", "'onnx'", "suites/smoke/suite.yaml"],
  },
  ...(
    [
      [
        "served model (openai) that also names weights",
        { baseUrl: "http://127.0.0.1:9/v1", model: "m" },
        "$.weights",
      ],
      [
        "served model whose baseUrl carries a password",
        { baseUrl: "http://user:secret@127.0.0.1:9/v1", model: "m" },
        "$.backend.baseUrl",
      ],
      [
        "served model whose baseUrl is not http",
        { baseUrl: "file:///etc/passwd", model: "m" },
        "$.backend.baseUrl",
      ],
      [
        "served model with an unknown api and a lower-case key variable",
        { baseUrl: "http://127.0.0.1:9/v1", model: "m", api: "rest", apiKeyEnv: "key; rm -rf" },
        "$.backend.apiKeyEnv",
      ],
    ] as const
  ).map(([name, backend, field]) => ({
    name: `manifest: ${name}`,
    setup: (c: CaseContext) =>
      writeManifest(c, (m) => {
        (m as { backend: unknown }).backend = { type: "openai", ...backend };
      }),
    args: validate,
    code: 1 as const,
    mentions: [file, field],
  })),
  {
    name: "manifest: a LoRA adapter whose sha256 does not match",
    setup: (c) =>
      writeManifest(c, (m) => {
        (m.backend as Record<string, unknown>).lora = [
          { path: "tiny-random-llama.gguf", sha256: "0".repeat(64), scale: 1 },
        ];
      }),
    args: evalSmoke,
    code: 1,
    mentions: [file, "$.backend.lora[0]"],
  },
  {
    name: "manifest: a gguf model without weights",
    setup: (c) =>
      writeManifest(c, (m) => {
        delete (m as { weights?: unknown }).weights;
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.weights", "required"],
  },
  {
    name: "manifest: bidi override (U+202E) in name",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.name = "tiny \u202Egnp.exe";
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.name"],
  },
  {
    name: "manifest: NUL in id",
    setup: (c) =>
      writeRaw(c, file, baseText("").replace("id: bench/tiny-random-llama", 'id: "bench/tiny\\0"')),
    args: validate,
    code: 1,
    mentions: [file, "$.id"],
  },
  {
    name: "manifest: ANSI escape in description",
    setup: (c) =>
      writeManifest(c, (m) => {
        Object.assign(m, { description: "fine \u001b[2J\u001b[31mREWRITTEN\u001b[0m" });
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.description"],
  },
  {
    name: "manifest: bidi override in a key",
    setup: (c) => writeRaw(c, file, baseText('"tag\u202Es": [a]')),
    args: validate,
    code: 1,
    mentions: [file],
  },
  {
    name: "manifest: __proto__ key",
    setup: (c) => writeRaw(c, file, baseText("__proto__:\n  polluted: true")),
    args: validate,
    code: 1,
    mentions: [file, "__proto__"],
  },
  {
    name: "manifest: YAML alias bomb (billion laughs)",
    setup: (c) => {
      const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 10; i++)
        lines.push(
          `a${i}: &a${i} [${Array(9)
            .fill(`*a${i - 1}`)
            .join(",")}]`,
        );
      writeRaw(c, file, baseText(lines.join("\n")));
    },
    args: validate,
    code: 1,
    mentions: [file, "alias"],
  },
  {
    name: "manifest: 10,000-deep flow nesting",
    setup: (c) => writeRaw(c, file, baseText(`tags: ${"[".repeat(10_000)}${"]".repeat(10_000)}`)),
    args: validate,
    code: 1,
    mentions: [file, "nesting"],
  },
  {
    name: "manifest: 600-deep block nesting",
    setup: (c) => {
      const lines = Array.from({ length: 600 }, (_, i) => `${" ".repeat(i)}k${i}:`);
      writeRaw(c, file, baseText(`extra:\n${lines.map((l) => ` ${l}`).join("\n")} x`));
    },
    args: validate,
    code: 1,
    mentions: [file, "nesting"],
  },
  {
    name: "manifest: 5 MB file",
    setup: (c) => writeRaw(c, file, baseText(`description: "${"x".repeat(5 << 20)}"`)),
    args: validate,
    code: 1,
    mentions: [file, "limit"],
  },
  {
    name: "manifest: 200 kB id (under the size limit) is not echoed",
    setup: (c) =>
      writeRaw(
        c,
        file,
        baseText("").replace("id: bench/tiny-random-llama", `id: bench/${"y".repeat(200_000)}`),
      ),
    args: validate,
    code: 1,
    mentions: [file, "$.id"],
  },
  {
    name: "manifest: 5,000 unknown fields",
    setup: (c) =>
      writeRaw(
        c,
        file,
        baseText(Array.from({ length: 5000 }, (_, i) => `field${i}: ${i}`).join("\n")),
      ),
    args: validate,
    code: 1,
    mentions: [file, "field0"],
  },
  {
    name: "manifest: empty file",
    setup: (c) => writeRaw(c, file, ""),
    args: validate,
    code: 1,
    mentions: [file, "empty"],
  },
  {
    name: "manifest: only a comment and a document marker",
    setup: (c) => writeRaw(c, file, "# nothing here\n---\n"),
    args: validate,
    code: 1,
    mentions: [file, "empty"],
  },
  {
    name: "manifest: binary garbage",
    setup: (c) => writeRaw(c, file, garbage(4096)),
    args: validate,
    code: 1,
    mentions: [file],
  },
  {
    name: "manifest: non-UTF-8 bytes (Latin-1)",
    setup: (c) =>
      writeRaw(c, file, Buffer.from(baseText("description: caf\u00e9 cr\u00e8me"), "latin1")),
    args: validate,
    code: 1,
    mentions: [`${file}:12:`, "UTF-8"],
  },
  {
    name: "manifest: UTF-16 with a byte order mark",
    setup: (c) => writeRaw(c, file, Buffer.from(`\ufeff${baseText("")}`, "utf16le")),
    args: validate,
    code: 1,
    mentions: [file],
  },
  {
    name: "manifest: !!js/function tag",
    setup: (c) =>
      writeRaw(
        c,
        file,
        baseText('description: !!js/function "function () { return process.exit(0) }"'),
      ),
    args: validate,
    code: 1,
    mentions: [`${file}:12:`, "!!js/function"],
  },
  {
    name: "manifest: custom local tag on a mapping",
    setup: (c) => writeRaw(c, file, baseText("variant: !evil {kind: merged}")),
    args: validate,
    code: 1,
    mentions: [`${file}:12:`, "!evil"],
  },
  {
    name: "manifest: duplicate keys",
    setup: (c) => writeRaw(c, file, baseText("name: shadow")),
    args: validate,
    code: 1,
    mentions: [`${file}:12:`],
  },
  {
    name: "manifest: a second YAML document",
    setup: (c) => writeRaw(c, file, baseText("---\nid: bench/other\n")),
    args: validate,
    code: 1,
    mentions: [`${file}:12:`, "document"],
  },
  {
    name: "manifest: top level is a list",
    setup: (c) => writeRaw(c, file, "- id: bench/tiny-random-llama\n"),
    args: validate,
    code: 1,
    mentions: [file, "mapping"],
  },
  {
    name: "manifest: YAML syntax error",
    setup: (c) => writeRaw(c, file, baseText('description: "unterminated\nmore: [1, 2')),
    args: validate,
    code: 1,
    mentions: [`${file}:13:`, "YAML syntax error"],
  },
  {
    name: "manifest: contextSize at the maximum with --parallel 256",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.backend.contextSize = 1_048_576;
      }),
    args: [...evalSmoke, "--parallel", "256"],
    code: 2,
    mentions: ["--parallel", file, "$.backend.contextSize"],
  },
  {
    name: "manifest: contextSize a float",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.backend.contextSize = 512.5;
      }),
    args: validate,
    code: 1,
    mentions: [file, "$.backend.contextSize"],
  },
  {
    name: "manifest: the manifest path is a folder",
    setup: (c) => {
      rmSync(join(c.repo, file));
      mkdirSync(join(c.repo, file));
    },
    args: evalSmoke,
    code: 1,
    mentions: [file],
  },
  {
    name: "manifest: the manifest path is a named pipe",
    setup: (c) => {
      rmSync(join(c.repo, file));
      execFileSync("mkfifo", [join(c.repo, file)]);
    },
    args: validate,
    code: 1,
    mentions: [file],
  },
  {
    name: "manifest: the manifest path is a symlink to /dev/zero",
    setup: (c) => {
      rmSync(join(c.repo, file));
      symlinkSync("/dev/zero", join(c.repo, file));
    },
    args: evalSmoke,
    code: 1,
    mentions: [file],
  },
  {
    name: "manifest: validate walks a symlink loop under models/",
    setup: (c) => symlinkSync("..", join(c.repo, "models/bench/loop")),
    args: ["validate", "models"],
    code: 0,
    mentions: ["models/bench/loop", "1 valid, 0 invalid"],
  },
  {
    name: "manifest: a file name with a bidi override",
    setup: (c) => writeManifest(c, () => {}, "models/bench/tiny\u202Eevil.yaml"),
    args: ["validate", "models"],
    code: 1,
    mentions: ["models/bench/tiny\\u{202e}evil.yaml", "$.id"],
  },
]);
