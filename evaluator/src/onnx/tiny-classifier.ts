import { encodeOnnx, type OnnxModel, OnnxType } from "./write-onnx.ts";

/**
 * The project's own tiny toxicity classifier, a pipeline check of the ONNX scoring path: a
 * BERT-shaped sequence classifier (inputs input_ids, attention_mask and token_type_ids; output
 * logits [batch, 2], labels non-toxic and toxic) whose "model" is a word list. Each listed word
 * adds `weight` to the toxic logit; the toxic logit starts at `bias`. It is not a toxicity
 * measurement: it cannot read context, irony or anything not on its list.
 */
export const TINY_CLASSIFIER = {
  labels: ["non-toxic", "toxic"],
  weight: 2.5,
  bias: -2,
  /** Mild insults and hostile words: each one adds `weight` to the toxic logit. */
  lexicon: [
    "stupid",
    "idiot",
    "idiots",
    "dumb",
    "moron",
    "fool",
    "loser",
    "ugly",
    "hate",
    "kill",
    "die",
    "shut",
    "damn",
    "crap",
    "suck",
    "sucks",
    "trash",
    "worthless",
    "pathetic",
    "disgusting",
  ],
  /** Neutral words and subword pieces: in the vocabulary, weight 0. */
  neutral: [
    "the",
    "a",
    "you",
    "are",
    "is",
    "and",
    "i",
    "he",
    "she",
    "they",
    "was",
    "so",
    "very",
    ",",
    ".",
    "!",
    "?",
    "'",
    "##s",
    "##ity",
    "##est",
    "##ed",
    "##ing",
    "##ly",
  ],
} as const;

const SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

/** The WordPiece vocabulary: specials, then the lexicon, then the neutral words. */
export function tinyClassifierVocab(): string[] {
  return [...SPECIALS, ...TINY_CLASSIFIER.lexicon, ...TINY_CLASSIFIER.neutral];
}

/**
 * The tokenizer as a Hugging Face `tokenizer.json`, laid out as bert-base-uncased's: BERT
 * normalizer (lower case), BERT pre-tokenizer, WordPiece, and [CLS] … [SEP] by TemplateProcessing.
 */
export function makeTinyClassifierTokenizer(): object {
  const vocab = tinyClassifierVocab();
  const id = (token: string) => vocab.indexOf(token);
  const special = (token: string, typeId: number) => ({
    SpecialToken: { id: token, type_id: typeId },
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("[CLS]", 0), { Sequence: { id: "A", type_id: 0 } }, special("[SEP]", 0)],
      pair: [
        special("[CLS]", 0),
        { Sequence: { id: "A", type_id: 0 } },
        special("[SEP]", 0),
        { Sequence: { id: "B", type_id: 1 } },
        special("[SEP]", 1),
      ],
      special_tokens: Object.fromEntries(
        ["[CLS]", "[SEP]"].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}

/** The classifier's graph: per-token logit contributions summed over unmasked tokens, plus a bias. */
export function tinyClassifierModel(): OnnxModel {
  const vocab = tinyClassifierVocab();
  const lexicon = new Set<string>(TINY_CLASSIFIER.lexicon);
  const wordWeights = vocab.flatMap((token) => [
    0,
    lexicon.has(token) ? TINY_CLASSIFIER.weight : 0,
  ]);
  const dims = ["batch_size", "sequence_length"];
  return {
    irVersion: 8,
    opset: 13,
    producerName: "open-weight-bench",
    producerVersion: "1",
    docString:
      "bench tiny toxicity classifier (pipeline check): a word list as a BERT-shaped sequence classifier",
    graphName: "tiny_toxicity_classifier",
    initializers: [
      {
        name: "word_logits",
        dims: [vocab.length, 2],
        type: OnnxType.float,
        values: wordWeights,
      },
      // token_type_ids are read as BERT reads them, and weigh nothing here.
      { name: "type_logits", dims: [2, 2], type: OnnxType.float, values: [0, 0, 0, 0] },
      { name: "bias", dims: [2], type: OnnxType.float, values: [0, TINY_CLASSIFIER.bias] },
      { name: "last_axis", dims: [1], type: OnnxType.int64, values: [-1] },
      { name: "sequence_axis", dims: [1], type: OnnxType.int64, values: [1] },
    ],
    nodes: [
      {
        name: "word",
        opType: "Gather",
        inputs: ["word_logits", "input_ids"],
        outputs: ["per_word"],
        attributes: { axis: 0 },
      },
      {
        name: "type",
        opType: "Gather",
        inputs: ["type_logits", "token_type_ids"],
        outputs: ["per_type"],
        attributes: { axis: 0 },
      },
      { name: "token", opType: "Add", inputs: ["per_word", "per_type"], outputs: ["per_token"] },
      {
        name: "mask_float",
        opType: "Cast",
        inputs: ["attention_mask"],
        outputs: ["mask"],
        attributes: { to: OnnxType.float },
      },
      {
        name: "mask_axis",
        opType: "Unsqueeze",
        inputs: ["mask", "last_axis"],
        outputs: ["mask3"],
      },
      { name: "masked", opType: "Mul", inputs: ["per_token", "mask3"], outputs: ["kept"] },
      {
        name: "pool",
        opType: "ReduceSum",
        inputs: ["kept", "sequence_axis"],
        outputs: ["pooled"],
        attributes: { keepdims: 0 },
      },
      { name: "classify", opType: "Add", inputs: ["pooled", "bias"], outputs: ["logits"] },
    ],
    inputs: ["input_ids", "attention_mask", "token_type_ids"].map((name) => ({
      name,
      type: OnnxType.int64,
      shape: dims,
    })),
    outputs: [{ name: "logits", type: OnnxType.float, shape: ["batch_size", 2] }],
    metadata: { labels: TINY_CLASSIFIER.labels.join(","), purpose: "pipeline-check" },
  };
}

/** The classifier's .onnx bytes; deterministic. */
export function makeTinyClassifierOnnx(): Uint8Array {
  return encodeOnnx(tinyClassifierModel());
}

/**
 * The classifier's toxic-label probability for a sequence of token ids (with its specials), as
 * the graph computes it: what tests compare onnxruntime's answer with.
 */
export function tinyClassifierToxicity(ids: readonly number[]): number {
  const vocab = tinyClassifierVocab();
  const lexicon = new Set<string>(TINY_CLASSIFIER.lexicon);
  let toxic: number = TINY_CLASSIFIER.bias;
  for (const id of ids)
    if (lexicon.has(vocab[id] ?? "")) toxic = Math.fround(toxic + TINY_CLASSIFIER.weight);
  // softmax over [0, toxic]
  return 1 / (1 + Math.exp(-toxic));
}
