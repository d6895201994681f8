import { describe, expect, it } from "vitest";
import { below, mulberry32 } from "../pure/random.ts";
import { type EventReading, EventTemplate, emptyReading, readParsedEvent } from "./sse-event.ts";

/**
 * The template's one promise: where it reads an event, the reading is what JSON.parse and
 * `readParsedEvent` give for those bytes (and JSON.parse accepts them, without an error member).
 * Checked on the event shapes of real servers, generated texts, and every small mutation.
 */

/** The slow path's reading, or undefined where it throws or the event is an error. */
function parsed(bytes: Buffer, chat: boolean): EventReading | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  if ((value as { error?: unknown }).error) return undefined;
  const reading = emptyReading();
  readParsedEvent(value as Record<string, unknown>, chat, reading);
  return reading;
}

/** Every event the template reads must read as the slow path does. */
function agrees(template: EventTemplate, bytes: Buffer, chat: boolean): boolean {
  const fast = emptyReading();
  if (!template.read(bytes, 0, bytes.length, fast)) return false;
  expect(parsed(bytes, chat), bytes.toString()).toEqual(fast);
  return true;
}

const q = JSON.stringify;
/** Event shapes as servers write them (T: the text's literal; F: the finish reason). */
const shapes: { name: string; chat: boolean; event: (t: string, f: string) => string }[] = [
  {
    name: "bench/load-server.ts",
    chat: false,
    event: (t, f) => `{"choices":[{"index":0,"text":${t},"finish_reason":${f}}]}`,
  },
  {
    name: "vLLM completions",
    chat: false,
    event: (t, f) =>
      `{"id":"cmpl-9b1f0c7a2e4d","object":"text_completion","created":1732950000,"model":"meta-llama/Llama-3.1-8B","choices":[{"index":0,"text":${t},"logprobs":null,"finish_reason":${f},"stop_reason":null}],"usage":null}`,
  },
  {
    name: "vLLM chat",
    chat: true,
    event: (t, f) =>
      `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732950000,"model":"m","choices":[{"index":0,"delta":{"content":${t}},"logprobs":null,"finish_reason":${f}}]}`,
  },
  {
    name: "llama-server chat",
    chat: true,
    event: (t, f) =>
      `{"choices":[{"finish_reason":${f},"index":0,"delta":{"content":${t}}}],"created":1732950000,"id":"chatcmpl-x","model":"gpt-3.5-turbo","system_fingerprint":"b1-abc","object":"chat.completion.chunk"}`,
  },
  {
    name: "Python json.dumps (spaces after separators)",
    chat: false,
    event: (t, f) => `{"choices": [{"text": ${t}, "index": 0, "finish_reason": ${f}}]}`,
  },
  {
    name: "pretty-printed",
    chat: true,
    event: (t, f) =>
      `{ "choices" : [ { "delta" : { "role" : "assistant" , "content" :\t${t} } , "finish_reason" : ${f} } ] }`,
  },
];

const texts = [
  " tok",
  "Hello",
  'say "hi"',
  "back\\slash",
  "new\nline\ttab",
  "é€😀",
  "\u2028\u2029",
  "</s>",
  "text",
  '":"',
  "\\u0000",
  "{",
  "}]}",
  " ",
  "\u007f",
];

describe("EventTemplate: reads an event only where JSON.parse reads the same", () => {
  for (const shape of shapes) {
    it(`${shape.name}: learns from a middle event and reads the others as JSON.parse does`, () => {
      const template = new EventTemplate();
      const first = Buffer.from(shape.event(q(" tok"), "null"));
      const reading = parsed(first, shape.chat) as EventReading;
      expect(reading.text).toBe(" tok");
      expect(template.learn(first, 0, first.length, reading, shape.chat)).toBe(true);
      let hits = 0;
      for (const text of texts) {
        hits += agrees(template, Buffer.from(shape.event(q(text), "null")), shape.chat) ? 1 : 0;
        // The last event (a finish reason) and an empty text differ from the template around
        // the text, or are read as the empty string they are.
        agrees(template, Buffer.from(shape.event(q(text), '"length"')), shape.chat);
      }
      // Every middle event of this shape is read by the template.
      expect(hits).toBe(texts.length);
    });

    it(`${shape.name}: no mutation of an event is read otherwise than JSON.parse reads it`, () => {
      const template = new EventTemplate();
      const first = Buffer.from(shape.event(q("a"), "null"));
      template.learn(first, 0, first.length, parsed(first, shape.chat) as EventReading, shape.chat);
      const critical = [...'"\\:,{}[] 0n\tu/']
        .map((c) => c.charCodeAt(0))
        .concat([0, 0x0a, 0x7f, 0xc0, 0xe2, 0xff]);
      let read = 0;
      for (const text of ["xyz", 'q"', "\\"]) {
        const event = Buffer.from(shape.event(q(text), "null"));
        for (let i = 0; i <= event.length; i++) {
          // Deleted, replaced, inserted: every byte position, with every critical byte.
          if (i < event.length) {
            read += agrees(
              template,
              Buffer.concat([event.subarray(0, i), event.subarray(i + 1)]),
              shape.chat,
            )
              ? 1
              : 0;
          }
          for (const c of critical) {
            if (i < event.length) {
              const replaced = Buffer.from(event);
              replaced[i] = c;
              read += agrees(template, replaced, shape.chat) ? 1 : 0;
            }
            const inserted = Buffer.concat([
              event.subarray(0, i),
              Uint8Array.of(c),
              event.subarray(i),
            ]);
            read += agrees(template, inserted, shape.chat) ? 1 : 0;
          }
        }
      }
      // Mutations inside the text are still events the template reads (and must read right).
      expect(read).toBeGreaterThan(0);
    });
  }

  it("reads generated texts, escapes and all, as JSON.parse does", () => {
    const random = mulberry32(13);
    const alphabet = [
      '"',
      "\\",
      "/",
      "\n",
      "\r",
      "\t",
      "\b",
      "\f",
      "\u0000",
      "\u001f",
      "a",
      " ",
      "é",
      "😀",
      "\ud800",
      "\u2028",
    ];
    for (const shape of shapes) {
      const template = new EventTemplate();
      const first = Buffer.from(shape.event(q("seed"), "null"));
      template.learn(first, 0, first.length, parsed(first, shape.chat) as EventReading, shape.chat);
      for (let n = 0; n < 300; n++) {
        let text = "";
        for (let k = below(random, 8); k > 0; k--) text += alphabet[below(random, alphabet.length)];
        // As JSON.stringify writes it, and with every character escaped as \uXXXX.
        const escaped = `"${[...text].map((c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0").slice(-4)}`).join("")}"`;
        for (const literal of [q(text), escaped]) {
          const event = Buffer.from(shape.event(literal, "null"));
          expect(
            agrees(template, event, shape.chat) || parsed(event, shape.chat) === undefined,
          ).toBe(true);
        }
      }
    }
  });

  it("refuses to learn where the text is not provably the member read", () => {
    const table: [string, string][] = [
      ["the text's literal last in another member", '{"choices":[{"text":" tok"}],"id":" tok"}'],
      ["written with other escapes than JSON.stringify's", '{"choices":[{"text":"\\u0041"}]}'],
      ["a finish reason (a last event)", '{"choices":[{"text":"a","finish_reason":"stop"}]}'],
      ["usage (a last event)", '{"choices":[{"text":"a"}],"usage":{"prompt_tokens":1}}'],
      ["an empty text", '{"choices":[{"text":""}]}'],
    ];
    for (const [why, json] of table) {
      const bytes = Buffer.from(json);
      const reading = parsed(bytes, false) as EventReading;
      expect(new EventTemplate().learn(bytes, 0, bytes.length, reading, false), why).toBe(false);
    }
  });

  it("never takes another member for the text when the text is the probe's own string", () => {
    // The text is U+0000 and its literal is also the last member's value: probing that position
    // with "\u0000" would change nothing and prove nothing.
    const event = (t: string, x: string) => `{"choices":[{"text":${t}}],"x":${x}}`;
    const first = Buffer.from(event(q("\u0000"), q("\u0000")));
    const next = Buffer.from(event(q("\u0000"), q("abc")));
    const template = new EventTemplate();
    template.learn(first, 0, first.length, parsed(first, false) as EventReading, false);
    agrees(template, next, false);
    expect(parsed(next, false)?.text).toBe("\u0000");
  });

  it("learns where the text's literal is also an earlier member's value", () => {
    const event = (t: string) => `{"id":" tok","choices":[{"text":${t}}]}`;
    const template = new EventTemplate();
    const first = Buffer.from(event(q(" tok")));
    expect(
      template.learn(first, 0, first.length, parsed(first, false) as EventReading, false),
    ).toBe(true);
    expect(agrees(template, Buffer.from(event(q("next"))), false)).toBe(true);
  });

  it("where it learns from duplicate members, the last one is the one read, as JSON.parse keeps it", () => {
    const cases = [
      (t: string) => `{"choices":[{"text":"first","text":${t}}]}`,
      (t: string) => `{"choices":[{"text":"x"}],"choices":[{"text":${t}}]}`,
      (t: string) => `{"__proto__":{"text":"p"},"choices":[{"text":${t}}]}`,
      (t: string) => `{"choices":[{"text":${t}},{"text":"second choice"}]}`,
    ];
    for (const event of cases) {
      const template = new EventTemplate();
      const first = Buffer.from(event(q("one")));
      template.learn(first, 0, first.length, parsed(first, false) as EventReading, false);
      expect(agrees(template, Buffer.from(event(q("two"))), false)).toBe(true);
    }
    // The first of two "text" members is never taken for the one read.
    const first = Buffer.from('{"choices":[{"text":"one","text":"other"}]}');
    const template = new EventTemplate();
    const reading = parsed(first, false) as EventReading;
    expect(reading.text).toBe("other");
    template.learn(first, 0, first.length, { ...reading, text: "one" }, false);
    expect(template.ready).toBe(false);
  });

  it("reads a range within a larger buffer, and nothing outside it", () => {
    const template = new EventTemplate();
    const event = '{"choices":[{"text":"a"}]}';
    const first = Buffer.from(`data: ${event}\n\n`);
    const reading = parsed(Buffer.from(event), false) as EventReading;
    expect(template.learn(first, 6, 6 + event.length, reading, false)).toBe(true);
    const next = Buffer.from(`xxdata: {"choices":[{"text":"bc"}]}\n`);
    const into = emptyReading();
    expect(template.read(next, 8, next.length - 1, into)).toBe(true);
    expect(into.text).toBe("bc");
    // One byte short at either end is not the event.
    expect(template.read(next, 9, next.length - 1, into)).toBe(false);
    expect(template.read(next, 8, next.length - 2, into)).toBe(false);
  });
});
