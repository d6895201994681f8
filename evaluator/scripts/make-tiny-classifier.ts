import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  makeTinyClassifierOnnx,
  makeTinyClassifierTokenizer,
} from "../src/onnx/tiny-classifier.ts";

/**
 * Writes the project's tiny toxicity classifier (a pipeline check of the ONNX scoring path):
 * models/bench/tiny-toxicity-classifier.onnx and .tokenizer.json. Usage: [out folder].
 */
const defaultOut = fileURLToPath(new URL("../../models/bench/", import.meta.url));
const outDir = resolve(process.argv[2] ?? defaultOut);
await mkdir(outDir, { recursive: true });

const files = {
  "tiny-toxicity-classifier.onnx": makeTinyClassifierOnnx(),
  "tiny-toxicity-classifier.tokenizer.json": new TextEncoder().encode(
    `${JSON.stringify(makeTinyClassifierTokenizer(), null, 2)}\n`,
  ),
};
for (const [name, bytes] of Object.entries(files)) {
  const path = join(outDir, name);
  await writeFile(path, bytes);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  console.log(`${path}  ${bytes.length} bytes  sha256 ${sha256}`);
}
