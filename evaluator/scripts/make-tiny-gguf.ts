import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTinyLlamaGguf, makeTinyLoraGguf } from "../src/gguf/tiny-llama.ts";

const defaultOut = fileURLToPath(
  new URL("../../models/bench/tiny-random-llama.gguf", import.meta.url),
);
const outPath = resolve(process.argv[2] ?? defaultOut);

const bytes = makeTinyLlamaGguf();
await mkdir(dirname(outPath), { recursive: true });
await writeFile(outPath, bytes);

const sha256 = createHash("sha256").update(bytes).digest("hex");
console.log(`path   ${outPath}`);
console.log(`size   ${bytes.length} bytes`);
console.log(`sha256 ${sha256}`);

// Its LoRA adapter (a pipeline check of adapters), beside it.
const loraPath = outPath.replace(/\.gguf$/, "-lora.gguf");
const lora = makeTinyLoraGguf();
await writeFile(loraPath, lora);
console.log(`path   ${loraPath}`);
console.log(`size   ${lora.length} bytes`);
console.log(`sha256 ${createHash("sha256").update(lora).digest("hex")}`);
