import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import {
  type CaseContext,
  defineCases,
  manifestFile,
  tinyWeights,
  weightsFile,
  writeManifest,
  writeRaw,
} from "./case.ts";

const evalSmoke = ["eval", manifestFile, "--suite", "smoke", "--limit", "1", "--threads", "1"];
const mirror = (c: CaseContext) => join(c.dir, "mirror");
const mirrorEnv = (c: CaseContext) => ({ BENCH_MIRROR: mirror(c) });

/** The manifest pins its weights by URL, and the repository no longer holds them. */
function fetchedWeights(c: CaseContext): void {
  writeManifest(c, (m) => {
    m.weights = tinyWeights(c);
  });
  mkdirSync(mirror(c), { recursive: true });
}

/** Puts the real weights at `relative` below the mirror. */
function stock(c: CaseContext, relative: string): void {
  mkdirSync(join(mirror(c), relative, ".."), { recursive: true });
  copyFileSync(join(c.repo, weightsFile), join(mirror(c), relative));
  rmSync(join(c.repo, weightsFile));
}

export const mirrorCases = defineCases([
  {
    name: "mirror: BENCH_MIRROR is a file",
    setup: (c) => {
      writeManifest(c, (m) => {
        m.weights = tinyWeights(c);
      });
      writeRaw(c, "../mirror", "not a folder\n");
    },
    args: evalSmoke,
    env: mirrorEnv,
    code: 1,
    mentions: ["BENCH_MIRROR"],
  },
  {
    name: "mirror: BENCH_MIRROR does not exist",
    setup: (c) =>
      writeManifest(c, (m) => {
        m.weights = tinyWeights(c);
      }),
    args: evalSmoke,
    env: mirrorEnv,
    code: 1,
    mentions: ["BENCH_MIRROR"],
  },
  {
    name: "mirror: a symlink loop is skipped and the file still found",
    setup: (c) => {
      fetchedWeights(c);
      mkdirSync(join(mirror(c), "a/b"), { recursive: true });
      symlinkSync("../..", join(mirror(c), "a/b/loop"));
      symlinkSync("self", join(mirror(c), "a/self"));
      stock(c, "z/tiny-random-llama.gguf");
    },
    args: evalSmoke,
    env: mirrorEnv,
    code: 0,
    mentions: ["acc", "signed by"],
  },
  {
    name: "mirror: a folder named like the artifact, no file",
    setup: (c) => {
      fetchedWeights(c);
      mkdirSync(join(mirror(c), "tiny-random-llama.gguf"));
      mkdirSync(join(mirror(c), c.base.weightsSha256));
    },
    args: evalSmoke,
    env: mirrorEnv,
    code: 1,
    mentions: [manifestFile, "$.weights", "BENCH_MIRROR"],
  },
  {
    name: "mirror: a folder named like the artifact holds the file",
    setup: (c) => {
      fetchedWeights(c);
      stock(c, "tiny-random-llama.gguf/tiny-random-llama.gguf");
    },
    args: evalSmoke,
    env: mirrorEnv,
    code: 0,
    mentions: ["acc", "signed by"],
  },
  {
    name: "mirror: a file with the artifact's name but other bytes",
    setup: (c) => {
      fetchedWeights(c);
      writeRaw(c, "../mirror/tiny-random-llama.gguf", "GGUF but not really\n");
      rmSync(join(c.repo, weightsFile));
    },
    args: evalSmoke,
    env: mirrorEnv,
    code: 1,
    mentions: [manifestFile, "$.weights", "BENCH_MIRROR"],
  },
  {
    name: "mirror: a named pipe and a /dev/zero link with the artifact's name",
    setup: (c) => {
      fetchedWeights(c);
      execFileSync("mkfifo", [join(mirror(c), "tiny-random-llama.gguf")]);
      mkdirSync(join(mirror(c), "dev"));
      symlinkSync("/dev/zero", join(mirror(c), "dev", "tiny-random-llama.gguf"));
      stock(c, "later/deeper/tiny-random-llama.gguf");
    },
    args: evalSmoke,
    env: mirrorEnv,
    code: 0,
    mentions: ["acc", "signed by"],
  },
  {
    name: "mirror: the file 40 folders deep (past the depth limit)",
    setup: (c) => {
      fetchedWeights(c);
      stock(c, `${Array.from({ length: 40 }, (_, i) => `d${i}`).join("/")}/tiny-random-llama.gguf`);
    },
    args: evalSmoke,
    env: mirrorEnv,
    code: 1,
    mentions: [manifestFile, "$.weights", "BENCH_MIRROR", "depth"],
  },
]);
