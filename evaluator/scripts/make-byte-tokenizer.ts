import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeByteTokenizer } from "../src/onnx/byte-tokenizer.ts";

/** Writes models/bench/gpt2-tiny-decoder.tokenizer.json (GPT-2's byte symbols, no merges). */
const out = resolve(
  process.argv[2] ??
    fileURLToPath(new URL("../../models/bench/gpt2-tiny-decoder.tokenizer.json", import.meta.url)),
);
const bytes = new TextEncoder().encode(`${JSON.stringify(makeByteTokenizer(), null, 2)}\n`);
await writeFile(out, bytes);
console.log(
  `${out}  ${bytes.length} bytes  sha256 ${createHash("sha256").update(bytes).digest("hex")}`,
);
