/**
 * A byte-level tokenizer.json with GPT-2's 256 byte symbols at GPT-2's ids and no merges: what
 * the vocabulary-1000 random GPT-2 in ../shared/models/onnx (gpt2-tiny-decoder.onnx, which ships
 * no tokenizer) can read, one token per byte, exactly as GPT-2's own tokenizer numbers single
 * bytes (bytes_to_unicode's order: "H" is 39).
 */
export function gpt2ByteSymbols(): string[] {
  const printable = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const symbols = new Map<number, string>();
  for (const b of printable) symbols.set(b, String.fromCodePoint(b));
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!symbols.has(b)) symbols.set(b, String.fromCodePoint(256 + extra++));
  }
  // GPT-2's encoder.json numbers the printable bytes first, then the others, each in byte order.
  const rest = range(0, 255).filter((b) => !printable.includes(b));
  return [...printable, ...rest].map((b) => symbols.get(b) as string);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export function makeByteTokenizer(): object {
  const symbols = gpt2ByteSymbols();
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: {
      type: "ByteLevel",
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(symbols.map((s, i) => [s, i])),
      merges: [],
    },
  };
}
