/**
 * What the `openai` backend reads from one server-sent event of a stream, and a template that
 * reads the usual event without `JSON.parse`.
 *
 * A stream of n tokens is n events, and an OpenAI-compatible server sends them alike: the same
 * bytes around the text, event after event (vLLM's id, model and created; llama-server's
 * fingerprint), only the text changing until the last. At thousands of events a second,
 * `JSON.parse` of each was the load generator's largest cost (ADR 0009). So once an event has
 * been parsed, its bytes before and after the text become a template, and a later event that has
 * exactly those bytes around a plain JSON string is read as that event with this string for text.
 *
 * Why that is the event `JSON.parse` would give: the template is made only when the bytes before
 * the text end in `:` outside any string, and parsing them around the literal `"\u0000"` gives
 * that very string as the text (so the text is the member the reading takes, duplicates and all;
 * `"\u0001"` where the text itself is U+0000).
 * A backslash outside a string is never JSON, so the colon closes no string; the tokens before it
 * are the same whatever follows; a string literal in its place is one token; and the tokens after
 * it are then the same too. Swapping one string token for another changes that member's value
 * and nothing else. sse-event.test.ts compares both paths on generated streams and on every
 * mutation of them.
 */

/** What one event says, as the stream reader uses it. */
export interface EventReading {
  /** choices[0].text (completions) or choices[0].delta.content (chat), where it is a string. */
  text: string | undefined;
  /** choices[0].finish_reason where it is truthy: "length", else "stop". */
  finish: "length" | "stop" | undefined;
  /** Whether `usage` is an object (an array counts, as `typeof` says). */
  usage: boolean;
  /** usage.prompt_tokens and usage.completion_tokens, where they are numbers. */
  promptTokens: number | undefined;
  completionTokens: number | undefined;
}

export const emptyReading = (): EventReading => ({
  text: undefined,
  finish: undefined,
  usage: false,
  promptTokens: undefined,
  completionTokens: undefined,
});

/** What `JSON.parse` gave for an event (an object without `error`), read into `into`. */
export function readParsedEvent(
  event: Record<string, unknown>,
  chat: boolean,
  into: EventReading,
): void {
  const usage = event.usage as Record<string, unknown> | null | undefined;
  into.usage = Boolean(usage) && typeof usage === "object";
  const number = (value: unknown) => (typeof value === "number" ? value : undefined);
  into.promptTokens = into.usage ? number(usage?.prompt_tokens) : undefined;
  into.completionTokens = into.usage ? number(usage?.completion_tokens) : undefined;
  const choice = firstChoice(event);
  const text = !choice
    ? undefined
    : chat
      ? (choice.delta as { content?: unknown } | null | undefined)?.content
      : choice.text;
  into.text = typeof text === "string" ? text : undefined;
  into.finish = choice?.finish_reason ? finishOf(choice.finish_reason) : undefined;
}

/** choices[0] of an answer or event, where `choices` is an array. */
export const firstChoice = (event: Record<string, unknown>) =>
  (Array.isArray(event.choices) ? event.choices[0] : undefined) as
    | Record<string, unknown>
    | undefined;

/** A finish reason as the runner counts it: "length" (cut at max_tokens) or "stop". */
export const finishOf = (reason: unknown): "length" | "stop" =>
  reason === "length" ? "length" : "stop";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isHex = (c: number | undefined) =>
  c !== undefined && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102));

/**
 * Whether bytes[from, to) is one JSON string literal: 0 no, 1 yes without escapes, 2 yes with
 * escapes (then decoded with `JSON.parse`).
 */
function stringLiteral(bytes: Buffer, from: number, to: number): 0 | 1 | 2 {
  if (to - from < 2 || bytes[from] !== QUOTE || bytes[to - 1] !== QUOTE) return 0;
  const last = to - 1;
  let escapes: 1 | 2 = 1;
  for (let j = from + 1; j < last; j++) {
    const c = bytes[j] as number;
    if (c === QUOTE || c < 0x20) return 0;
    if (c === BACKSLASH) {
      escapes = 2;
      const e = bytes[j + 1];
      if (e === 0x75) {
        // \uXXXX
        if (
          !isHex(bytes[j + 2]) ||
          !isHex(bytes[j + 3]) ||
          !isHex(bytes[j + 4]) ||
          !isHex(bytes[j + 5])
        ) {
          return 0;
        }
        j += 5;
      } else if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === 0x2f || // /
        e === 0x62 || // b
        e === 0x66 || // f
        e === 0x6e || // n
        e === 0x72 || // r
        e === 0x74 // t
      ) {
        j += 1;
      } else return 0;
      // An escape that reaches the closing quote escapes it: the literal is not closed.
      if (j >= last) return 0;
    }
  }
  return escapes;
}

/** Whether bytes[at, at + part.length) is `part` (a loop: Buffer#compare's call costs more here). */
function same(bytes: Buffer, at: number, part: Buffer): boolean {
  const n = part.length;
  for (let k = 0; k < n; k++) if (bytes[at + k] !== part[k]) return false;
  return true;
}

/**
 * The bytes around the text of a stream's usual event, and what that event says besides its text
 * (see the top of this file). `read` takes an event that matches; `learn` makes the template
 * from an event just parsed, or leaves it as it was where that event does not qualify. A template
 * serves the API it was learned for (chat or completions: one model has one). Events are bounded
 * by the SSE splitter (4 MiB a line), far below the longest string `JSON.parse` could be given.
 */
export class EventTemplate {
  #before: Buffer | undefined;
  #after: Buffer | undefined;

  /** Whether a template is held. */
  get ready(): boolean {
    return this.#before !== undefined;
  }

  /** Reads bytes[from, to) into `into` where it matches the template: true; false otherwise. */
  read(bytes: Buffer, from: number, to: number, into: EventReading): boolean {
    const before = this.#before;
    const after = this.#after;
    if (before === undefined || after === undefined) return false;
    const start = from + before.length;
    const end = to - after.length;
    if (end - start < 2) return false;
    if (!same(bytes, from, before) || !same(bytes, end, after)) return false;
    const literal = stringLiteral(bytes, start, end);
    if (literal === 0) return false;
    into.text =
      literal === 1
        ? bytes.toString("utf8", start + 1, end - 1)
        : (JSON.parse(bytes.toString("utf8", start, end)) as string);
    // A template is learned from a middle event only: no finish reason, no usage.
    into.finish = undefined;
    into.usage = false;
    into.promptTokens = undefined;
    into.completionTokens = undefined;
    return true;
  }

  /**
   * Makes the template from bytes[from, to), an event whose parse gave `reading`: only a middle
   * event (text, no finish reason, no usage) whose text's literal, as JSON.stringify writes it,
   * is found after a colon and proved to be the text read. True when it did.
   */
  learn(bytes: Buffer, from: number, to: number, reading: EventReading, chat: boolean): boolean {
    const text = reading.text;
    if (text === undefined || text === "" || reading.finish || reading.usage) return false;
    // The last occurrence: servers write ids and model names before the text. The probe below
    // refuses any other member's string that happens to be the same.
    const literal = Buffer.from(JSON.stringify(text));
    if (to - from < literal.length) return false;
    const at = bytes.lastIndexOf(literal, to - literal.length);
    if (at < from || at + literal.length > to) return false;
    // Implied by the probe (a member's value follows its colon); it saves the parse.
    let colon = at - 1;
    while (colon >= from && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[colon] as number)) colon--;
    if (colon < from || bytes[colon] !== 0x3a) return false;
    const before = Buffer.from(bytes.subarray(from, at));
    const after = Buffer.from(bytes.subarray(at + literal.length, to));
    // The probe: a string other than the text (so that finding it proves the position), written
    // with an escape (whose backslash no JSON has outside a string).
    const probe = text === "\u0000" ? "\u0001" : "\u0000";
    let probed: unknown;
    try {
      probed = JSON.parse(
        `${before.toString("utf8")}${JSON.stringify(probe)}${after.toString("utf8")}`,
      );
    } catch {
      return false;
    }
    if (typeof probed !== "object" || probed === null || Array.isArray(probed)) return false;
    if ((probed as { error?: unknown }).error) return false;
    const check = emptyReading();
    readParsedEvent(probed as Record<string, unknown>, chat, check);
    if (check.text !== probe || check.finish || check.usage) return false;
    this.#before = before;
    this.#after = after;
    return true;
  }

  /** The same template, for another stream (templates are never changed in place). */
  copyFrom(other: EventTemplate): void {
    this.#before = other.#before;
    this.#after = other.#after;
  }
}
