import { BenchError } from "../errors/index.ts";
import type { OpenaiBackend } from "../generated/model.ts";
import { printable } from "../pure/text.ts";
import { H1Pool, headerLines } from "./h1.ts";
import { type Answer, type AnswerBody, sendRequest } from "./http.ts";
import { declaredContextSize } from "./registry.ts";
import {
  EventTemplate,
  emptyReading,
  finishOf,
  firstChoice,
  readParsedEvent,
} from "./sse-event.ts";
import { streamFrom } from "./stream.ts";
import type {
  Backend,
  ContinuationScore,
  EngineStats,
  GenerateRequest,
  GenerateResult,
  LoadedModel,
  LoadRequest,
  LoglikelihoodRequest,
  ServerUsage,
  StreamPart,
} from "./types.ts";

/** The longest SSE line (bytes) or answer (characters) read: anything longer is not an OpenAI-compatible answer. */
const maxLineChars = 4 * 1024 * 1024;
const maxErrorBodyChars = 2000;

/** Thrown to stop reading a stream whose answer is complete. */
class DoneReading extends Error {}

/** An HTTP status worth trying again: timeouts, rate limits and server errors. */
export const retryableStatus = (status: number) =>
  status === 408 || status === 429 || (status >= 500 && status <= 599);

interface Settings {
  baseUrl: string;
  /** The base URL's path (e.g. /v1), which every request path starts with. */
  basePath: string;
  pool: H1Pool;
  /** The header lines every request carries (content type, the key). */
  headers: string;
  model: string;
  api: "completions" | "chat";
  apiKey: string | undefined;
  keyName: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  ignoreEos: boolean;
}

/** Sleeps `ms`, or rejects at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The delay before retry `attempt` (0-based): the server's Retry-After, else doubling backoff. */
export function retryDelayMs(attempt: number, baseMs: number, retryAfter: string | null): number {
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    return Math.min(Number(retryAfter.trim()) * 1000, 60_000);
  }
  return Math.min(baseMs * 2 ** attempt, 60_000);
}

/** A delay spread by ±20%, so that many clients told to wait do not all return at once. */
const jittered = (ms: number) => ms * (0.8 + 0.4 * Math.random());

/** A response body's text, cut at `limit` characters (the rest is discarded). */
async function boundedText(body: AnswerBody, limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    await body.each((chunk) => {
      text += decoder.decode(chunk, { stream: true });
      if (text.length >= limit) throw new DoneReading();
    });
  } catch (error) {
    if (!(error instanceof DoneReading)) throw error;
  }
  return text.slice(0, limit);
}

/**
 * Splits server-sent events as their bytes arrive: `feedBytes` takes a chunk and hands each
 * `data:` payload of the lines it completed to `onData` as a byte range (`[DONE]` included);
 * comments and other fields are skipped, and a last line cut off without its newline is never an
 * event (its bytes wait for the next chunk). Synchronous, so that a chunk of many events costs no
 * promise each; bytes, so that an event the stream's template reads is never decoded whole.
 */
export class SseSplitter {
  /** The start of a line whose newline has not arrived (a copy). */
  #rest: Buffer | undefined;

  /**
   * Hands each complete `data:` line's payload, bytes[start, end), to `onData`; stops, and
   * returns true, when `onData` returns true. The range is valid during the call.
   */
  feedBytes(
    chunk: Uint8Array,
    onData: (bytes: Buffer, start: number, end: number) => boolean,
  ): boolean {
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = this.#rest ? Buffer.concat([this.#rest, bytes]) : bytes;
    const last = buf.lastIndexOf(10);
    // Kept past this call: copied when it is a view of the caller's chunk (a concat is a copy).
    const rest = buf.subarray(last + 1);
    this.#rest = rest.length === 0 ? undefined : buf === bytes ? Buffer.from(rest) : rest;
    if ((this.#rest?.length ?? 0) > maxLineChars) {
      throw new BenchError(
        "E_BACKEND",
        `the server sent an event line of over ${maxLineChars} bytes (expected OpenAI-compatible server-sent events)`,
      );
    }
    // Complete lines only: a newline byte is never inside a UTF-8 character, so a payload decodes
    // alone as it would with its neighbours.
    let start = 0;
    while (start <= last) {
      // Lines are short: a loop finds their end sooner than indexOf's call does.
      let newline = start;
      while (buf[newline] !== 10) newline++;
      if (
        newline - start >= 5 &&
        buf[start] === 0x64 && // d
        buf[start + 1] === 0x61 && // a
        buf[start + 2] === 0x74 && // t
        buf[start + 3] === 0x61 && // a
        buf[start + 4] === 0x3a // :
      ) {
        const end = newline > start && buf[newline - 1] === 13 ? newline - 1 : newline;
        let from = start + 5;
        while (from < end && (buf[from] === 32 || buf[from] === 9)) from++;
        if (onData(buf, from, end)) return true;
      }
      start = newline + 1;
    }
    return false;
  }
}

/** Whether bytes[start, end) is `[DONE]`. */
const isDone = (bytes: Buffer, start: number, end: number) =>
  end - start === 6 &&
  bytes[start] === 0x5b &&
  bytes[start + 1] === 0x44 &&
  bytes[start + 2] === 0x4f &&
  bytes[start + 3] === 0x4e &&
  bytes[start + 4] === 0x45 &&
  bytes[start + 5] === 0x5d;

/** A JSON object from the server, or E_BACKEND naming what came instead. */
function parseJson(
  text: string,
  what: string,
  safe: (text: string) => string = (t) => t,
): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BenchError(
      "E_BACKEND",
      `the server sent ${what} that is not JSON: ${printable(JSON.stringify(safe(text.slice(0, 400)).slice(0, 120)), 160)}`,
      { hint: "check that backend.baseUrl points at an OpenAI-compatible API (…/v1)" },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BenchError("E_BACKEND", `the server sent ${what} that is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A token count a server reports: a non-negative integer, else nothing (never trusted blindly). */
const count = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 2 ** 40
    ? value
    : undefined;

/** The logprobs block of a legacy completions choice, checked field by field. */
interface EchoLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  text_offset: number[];
  top_logprobs: (Record<string, number> | null)[];
}

function echoLogprobs(choice: Record<string, unknown> | undefined): EchoLogprobs | undefined {
  const lp = choice?.logprobs as Partial<EchoLogprobs> | null | undefined;
  if (
    !lp ||
    !Array.isArray(lp.tokens) ||
    !Array.isArray(lp.token_logprobs) ||
    !Array.isArray(lp.text_offset) ||
    lp.tokens.length !== lp.token_logprobs.length ||
    lp.tokens.length !== lp.text_offset.length
  ) {
    return undefined;
  }
  return {
    tokens: lp.tokens,
    token_logprobs: lp.token_logprobs,
    text_offset: lp.text_offset,
    top_logprobs: Array.isArray(lp.top_logprobs) ? lp.top_logprobs : [],
  };
}

class OpenAiModel implements LoadedModel {
  readonly info: LoadedModel["info"];
  readonly #s: Settings;
  readonly #stats: EngineStats = { engineSeconds: 0, tokensEvaluated: 0 };
  readonly #usage: ServerUsage = { promptTokens: 0, outputTokens: 0, requests: 0, unreported: 0 };
  readonly #modelJson: string;
  /** The last stream's event template: a new stream starts from it (see sse-event.ts). */
  readonly #template = new EventTemplate();

  constructor(info: LoadedModel["info"], settings: Settings) {
    this.info = info;
    this.#s = settings;
    this.#modelJson = JSON.stringify(settings.model);
  }

  /** A message about the server, with the API key (if a server echoes it) blanked. */
  readonly #safe = (text: string): string => {
    const key = this.#s.apiKey;
    return key ? text.replaceAll(key, "***") : text;
  };

  get #where(): string {
    return `${this.#s.baseUrl} (model ${printable(this.#s.model, 80)})`;
  }

  /**
   * POSTs `body` to `path` (below the base URL) and returns the successful answer, retrying what
   * may succeed again (408, 429, 5xx, a refused or reset connection) before any answer byte
   * arrived. Through the project's HTTP/1.1 pool (h1.ts): one keep-alive connection per request
   * in flight.
   */
  async #post(
    path: string,
    body: object | string,
    signal?: AbortSignal,
    maxRetries = this.#s.maxRetries,
  ): Promise<Answer> {
    const payload = typeof body === "string" ? body : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let answer: Answer;
      try {
        answer = await sendRequest(
          this.#s.pool,
          {
            path: `${this.#s.basePath}${path}`,
            method: "POST",
            headers: this.#s.headers,
            body: payload,
          },
          signal,
        );
      } catch (cause) {
        if (signal?.aborted) throw signal.reason;
        const code = (cause as { code?: string }).code ?? "network error";
        if (code === "H1_TIMEOUT") throw this.#timedOut(cause);
        // Only what failed before any byte of an answer is sent again: a server that answered
        // (even garbled) may have done the work, and a hosted API may have billed it.
        const answered = (cause as { answered?: boolean }).answered === true;
        if (attempt < maxRetries && !answered) {
          await sleep(jittered(retryDelayMs(attempt, this.#s.retryBaseMs, null)), signal);
          continue;
        }
        if (answered) {
          throw new BenchError(
            code === "H1_PROTOCOL" ? "E_BACKEND" : "E_BACKEND_RETRYABLE",
            `${this.#where} sent an answer that could not be read: ${printable((cause as Error).message, 160)}`,
            {
              hint: "check that backend.baseUrl points at an OpenAI-compatible API over HTTP/1.1",
              cause,
            },
          );
        }
        throw new BenchError(
          "E_BACKEND_RETRYABLE",
          `cannot reach ${this.#where}: ${printable(String(code), 80)} after ${attempt + 1} attempt${attempt === 0 ? "" : "s"}`,
          { hint: "check that the server runs and backend.baseUrl is right", cause },
        );
      }
      const status = answer.statusCode;
      if (status >= 200 && status < 300) return answer;
      // Blanked before the cut, so that no part of a key a server echoes survives.
      const text = this.#safe(
        await boundedText(answer.body, maxErrorBodyChars + 1024).catch(() => ""),
      ).slice(0, maxErrorBodyChars);
      if (retryableStatus(status) && attempt < maxRetries) {
        const retryAfter = answer.headers.get("retry-after") ?? null;
        await sleep(jittered(retryDelayMs(attempt, this.#s.retryBaseMs, retryAfter)), signal);
        continue;
      }
      throw this.#statusError(status, text, attempt + 1);
    }
  }

  #timedOut(cause: unknown): BenchError {
    return new BenchError(
      "E_BACKEND_RETRYABLE",
      `${this.#where} sent nothing for ${this.#s.timeoutMs} ms`,
      { hint: "raise backend.timeoutMs in the manifest, or check the server's load", cause },
    );
  }

  #statusError(status: number, body: string, attempts: number): BenchError {
    const said = body.trim() === "" ? "" : `: ${printable(JSON.stringify(body.trim()), 240)}`;
    if (status === 401 || status === 403) {
      return new BenchError(
        "E_BACKEND",
        `${this.#where} refused the request with HTTP ${status} (${status === 401 ? "no valid API key" : "forbidden"})${said}`,
        {
          hint: this.#s.keyName
            ? `set the environment variable ${this.#s.keyName} to a key the server accepts`
            : "the server wants an API key: name its environment variable in the manifest's backend.apiKeyEnv",
        },
      );
    }
    return new BenchError(
      retryableStatus(status) ? "E_BACKEND_RETRYABLE" : "E_BACKEND",
      `${this.#where} answered HTTP ${status}${attempts > 1 ? ` after ${attempts} attempts` : ""}${said}`,
    );
  }

  /**
   * The request's JSON, written directly (a load run sends thousands a second): model, prompt or
   * messages, max_tokens, stop, ignore_eos, sampling, stream. Sampling as asked, top_p always
   * (else the server's default applies); the OpenAI API has no top_k, so a server's own top-k
   * default (Ollama's 40) cannot be turned off from here.
   */
  #body(request: GenerateRequest, stream: boolean): string {
    const prompt = JSON.stringify(request.prompt);
    let json = `{"model":${this.#modelJson},${
      this.#s.api === "chat"
        ? `"messages":[{"role":"user","content":${prompt}}]`
        : `"prompt":${prompt}`
    },"max_tokens":${JSON.stringify(request.maxTokens)}`;
    if (request.stop?.length) json += `,"stop":${JSON.stringify(request.stop)}`;
    if (request.ignoreEos && this.#s.ignoreEos) json += `,"ignore_eos":true`;
    if (request.temperature) {
      json += `,"temperature":${JSON.stringify(request.temperature)},"top_p":${JSON.stringify(request.topP ?? 1)}`;
      if (request.seed !== undefined) json += `,"seed":${JSON.stringify(request.seed)}`;
    } else json += `,"temperature":0`;
    if (stream) json += `,"stream":true,"stream_options":{"include_usage":true}`;
    return `${json}}`;
  }

  #path(): string {
    return this.#s.api === "chat" ? "/chat/completions" : "/completions";
  }

  #checkRequest(request: GenerateRequest): void {
    if (request.chatTemplate && this.#s.api !== "chat") {
      throw new BenchError(
        "E_CAPABILITY",
        `${this.#where}: the task asks for the chat template, which the completions API does not apply`,
        { hint: "set backend.api: chat in the model manifest" },
      );
    }
  }

  /** One request without streaming: the whole answer in one JSON body. */
  async generate(request: GenerateRequest, signal?: AbortSignal): Promise<GenerateResult> {
    this.#checkRequest(request);
    const start = performance.now();
    const response = await this.#post(
      this.#path(),
      this.#body(request, false),
      signal,
      request.noRetry ? 0 : this.#s.maxRetries,
    );
    const text = await boundedText(response.body, maxLineChars + 1);
    if (text.length > maxLineChars) {
      throw new BenchError(
        "E_BACKEND",
        `${this.#where} sent an answer of over ${maxLineChars} characters`,
      );
    }
    const body = parseJson(text, "an answer", this.#safe);
    const choice = firstChoice(body);
    const content =
      this.#s.api === "chat"
        ? (choice?.message as { content?: unknown } | undefined)?.content
        : choice?.text;
    if (typeof content !== "string") {
      throw new BenchError(
        "E_BACKEND",
        `${this.#where} sent an answer without ${this.#s.api === "chat" ? "choices[0].message.content" : "choices[0].text"}`,
      );
    }
    const usage = body.usage as
      | { completion_tokens?: unknown; prompt_tokens?: unknown }
      | undefined;
    const tokens = count(usage?.completion_tokens) ?? 0;
    const totalMs = performance.now() - start;
    this.#stats.engineSeconds += totalMs / 1000;
    this.#stats.tokensEvaluated += tokens + (count(usage?.prompt_tokens) ?? 0);
    this.#counted(usage);
    return {
      text: content,
      tokens,
      timeToFirstTokenMs: null,
      totalMs,
      finishReason: finishOf(choice?.finish_reason),
      truncatedTokens: 0,
    };
  }

  /**
   * One streamed request (SSE, with usage asked for): a delta per event that carries text, timed
   * when it was parsed. Servers send one token per event; the finish part carries the server's
   * own token counts where it reports usage, else the count of text events.
   */
  stream(request: GenerateRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    return streamFrom((r, onPart, s) => this.streamTo(r, onPart, s), request, signal);
  }

  /**
   * The same stream pushed part by part: events are parsed synchronously as each chunk arrives,
   * with no promise per event or per chunk, so that one process can drive thousands of streams.
   */
  async streamTo(
    request: GenerateRequest,
    onPart: (part: StreamPart) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.#checkRequest(request);
    const start = performance.now();
    const response = await this.#post(
      this.#path(),
      this.#body(request, true),
      signal,
      request.noRetry ? 0 : this.#s.maxRetries,
    );
    const chat = this.#s.api === "chat";
    const maxEvents = request.maxTokens + 64;
    let events = 0;
    let finish: GenerateResult["finishReason"] = "stop";
    let usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
    let done = false;
    const splitter = new SseSplitter();
    const reading = emptyReading();
    // The model's last template, which this stream may replace with its own (see sse-event.ts).
    const template = new EventTemplate();
    template.copyFrom(this.#template);
    let learning = 2;
    let at = 0;
    const onData = (bytes: Buffer, from: number, to: number): boolean => {
      if (isDone(bytes, from, to)) {
        done = true;
        return true;
      }
      // A read gives the learning its tries back: llama-server's "created" ticks each second.
      if (template.read(bytes, from, to, reading)) learning = 2;
      else {
        const event = parseJson(bytes.toString("utf8", from, to), "an event", this.#safe);
        if (event.error) {
          throw new BenchError(
            "E_BACKEND",
            `${this.#where} sent an error event: ${printable(this.#safe(JSON.stringify(event.error)), 240)}`,
          );
        }
        readParsedEvent(event, chat, reading);
        // A middle event teaches the template (twice at most a stream, where it will not).
        if (learning > 0 && reading.text && !reading.finish && !reading.usage) {
          learning -= 1;
          if (template.learn(bytes, from, to, reading, chat)) this.#template.copyFrom(template);
        }
      }
      if (reading.usage) {
        usage = {
          prompt_tokens: reading.promptTokens,
          completion_tokens: reading.completionTokens,
        };
      }
      const text = reading.text;
      if (text !== undefined && text !== "") {
        events += 1;
        // A server that streams on and on is not answering this request.
        if (events > maxEvents) {
          throw new BenchError(
            "E_BACKEND",
            `${this.#where} sent over ${maxEvents} text events for max_tokens ${request.maxTokens}`,
          );
        }
        onPart({ type: "delta", text, tokens: 1, atMs: at });
      }
      if (reading.finish) finish = reading.finish;
      return false;
    };
    // At [DONE] the answer is whole: `each` resolves then, whenever the body's last bytes (the
    // chunked terminator) come; they are read in the background, bounded.
    const read = (chunk: Buffer): boolean => {
      // Events that came in one read arrived together: they share its time, which leaves the
      // parsing out of the inter-token latency.
      at = performance.now();
      return splitter.feedBytes(chunk, onData);
    };
    try {
      await response.body.each(read);
    } catch (cause) {
      // Never after [DONE]: `each` has resolved by then, and the tail's errors go nowhere.
      if (signal?.aborted) throw signal.reason;
      if (cause instanceof BenchError) throw cause;
      if ((cause as { code?: string }).code === "H1_TIMEOUT") throw this.#timedOut(cause);
      throw new BenchError(
        "E_BACKEND_RETRYABLE",
        `${this.#where} broke off the stream after ${events} text event${events === 1 ? "" : "s"}: ${printable((cause as Error).message, 120)}`,
        { cause },
      );
    }
    if (!done) {
      throw new BenchError(
        "E_BACKEND_RETRYABLE",
        `${this.#where} closed the stream after ${events} text event${events === 1 ? "" : "s"} without [DONE]`,
      );
    }
    const counted = count(usage?.completion_tokens);
    const completion = counted ?? events;
    const prompt = count(usage?.prompt_tokens) ?? null;
    this.#stats.engineSeconds += (performance.now() - start) / 1000;
    this.#stats.tokensEvaluated += completion + (prompt ?? 0);
    this.#counted(usage);
    onPart({
      type: "finish",
      finishReason: finish,
      promptTokens: prompt,
      ...(counted === undefined ? { outputEstimated: true as const } : {}),
      completionTokens: completion,
      truncatedTokens: 0,
      atMs: performance.now(),
    });
  }

  /**
   * Log-likelihoods through the legacy completions API with `echo` and `logprobs`, as
   * lm-evaluation-harness's `local-completions` model asks: the prompt is context + continuation,
   * one token is generated (and ignored), and the continuation's tokens are those whose
   * `text_offset` falls after the context. A server that ignores `echo` (llama-server does) gives
   * logprobs of the generated token only: that is refused, never scored.
   */
  async loglikelihood(
    request: LoglikelihoodRequest,
    signal?: AbortSignal,
  ): Promise<ContinuationScore[]> {
    const scores: ContinuationScore[] = [];
    for (const continuation of request.continuations) {
      scores.push(await this.#score(request.context, continuation, signal));
    }
    return scores;
  }

  async #score(
    context: string,
    continuation: string,
    signal?: AbortSignal,
  ): Promise<ContinuationScore> {
    const prompt = context + continuation;
    const start = performance.now();
    const response = await this.#post(
      "/completions",
      { model: this.#s.model, prompt, max_tokens: 1, echo: true, logprobs: 1, temperature: 0 },
      signal,
    );
    const body = parseJson(await boundedText(response.body, 64 * 1024 * 1024), "an answer");
    this.#stats.engineSeconds += (performance.now() - start) / 1000;
    this.#counted(body.usage as { prompt_tokens?: unknown; completion_tokens?: unknown });
    const lp = echoLogprobs(firstChoice(body));
    // Where the echoed tokens hold the prompt: a server may put a BOS token's text before it
    // (vLLM echoes "<s>"), so offsets are counted from the tokens' own text, not from offset 0.
    const joined = lp?.tokens.join("") ?? "";
    const base = joined.indexOf(prompt);
    if (!lp || base < 0) {
      throw new BenchError(
        "E_CAPABILITY",
        `${this.#where} does not echo the prompt's log-probabilities (it answered logprobs ${lp ? `for ${lp.tokens.length} token(s) without the prompt` : "missing"}), so it cannot score log-likelihoods`,
        {
          hint: "use a server that supports echo with logprobs on /v1/completions (vLLM, TGI's OpenAI API), or only generation tasks",
        },
      );
    }
    const offsets: number[] = [];
    let at = 0;
    for (const token of lp.tokens) {
      offsets.push(at);
      at += token.length;
    }
    const ctx = base + context.length;
    const first = offsets.findIndex((offset) => offset >= ctx);
    if (first < 0 || offsets[first] !== ctx) {
      throw new BenchError(
        "E_BACKEND",
        `${this.#where}: a token of the server's tokenisation spans the end of the context and the start of the continuation ${printable(JSON.stringify(continuation.slice(0, 40)), 60)}`,
        { hint: "start continuations with a space, as lm-evaluation-harness's tasks do" },
      );
    }
    let end = offsets.findIndex((offset) => offset >= base + prompt.length);
    if (end < 0) end = lp.tokens.length;
    let loglikelihood = 0;
    let greedy = true;
    const tokenLogprobs: number[] = [];
    for (let i = first; i < end; i++) {
      const value = lp.token_logprobs[i];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new BenchError(
          "E_BACKEND",
          `${this.#where} gave no log-probability for token ${i} of the prompt (expected a number)`,
        );
      }
      loglikelihood += value;
      tokenLogprobs.push(value);
      const top = lp.top_logprobs[i];
      if (top && Object.values(top).some((other) => other > value + 1e-9)) greedy = false;
    }
    this.#stats.tokensEvaluated += lp.tokens.length;
    return {
      loglikelihood,
      tokens: end - first,
      greedy,
      // Over HTTP the server names its tokens by text, not by id.
      tokenIds: [],
      tokenLogprobs,
      truncatedTokens: 0,
    };
  }

  /** Adds an answer's usage to what the server counted (or counts it as unreported). */
  #counted(usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined): void {
    const prompt = count(usage?.prompt_tokens);
    const output = count(usage?.completion_tokens);
    if (prompt === undefined || output === undefined) {
      this.#usage.unreported += 1;
      return;
    }
    this.#usage.promptTokens += prompt;
    this.#usage.outputTokens += output;
    this.#usage.requests += 1;
  }

  stats(): EngineStats {
    return { ...this.#stats, usage: { ...this.#usage } };
  }

  async dispose(): Promise<void> {
    // Called when the work is over: whatever is still open (a hung stream) is closed.
    this.#s.pool.close();
  }
}

/**
 * Any OpenAI-compatible server (vLLM, TGI, llama-server, Ollama, SGLang) or hosted API over
 * /v1/completions and /v1/chat/completions, streamed (SSE) or not. At load it reads /v1/models,
 * when the server has it, to check that the model is served; with log-likelihoods asked, it
 * probes that the server echoes prompt log-probabilities.
 */
export const openaiBackend: Backend<OpenaiBackend> = {
  id: "openai",
  contractVersion: 2,
  async load({ options, runtime }: LoadRequest<OpenaiBackend>, signal?: AbortSignal) {
    const keyName = options.apiKeyEnv;
    const apiKey = keyName === undefined ? undefined : runtime.env?.[keyName];
    if (keyName !== undefined && !apiKey) {
      throw new BenchError(
        "E_BACKEND_LOAD",
        `openai: the environment variable ${keyName} (backend.apiKeyEnv) is not set`,
        { hint: `export ${keyName}=<your API key> before running bench` },
      );
    }
    const baseUrl = options.baseUrl.replace(/\/+$/, "");
    const url = new URL(baseUrl);
    const timeoutMs = options.timeoutMs ?? 600_000;
    let headers: string;
    try {
      headers = headerLines({
        "content-type": "application/json",
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      });
    } catch {
      throw new BenchError(
        "E_BACKEND_LOAD",
        `openai: the environment variable ${keyName} (backend.apiKeyEnv) holds a line break or NUL, which no API key has`,
        { hint: `export ${keyName} again with the key alone` },
      );
    }
    const settings: Settings = {
      baseUrl,
      basePath: url.pathname.replace(/\/+$/, ""),
      // Keep-alive connections, as many as requests in flight; an idle one is dropped after 4 s,
      // below uvicorn's 5 s (vLLM, SGLang), or the server's own keep-alive timeout less 1 s.
      pool: new H1Pool(url.origin, { timeoutMs }),
      headers,
      model: options.model,
      api: options.api ?? "completions",
      apiKey,
      keyName,
      timeoutMs,
      maxRetries: options.maxRetries ?? 3,
      retryBaseMs: options.retryBaseMs ?? 500,
      ignoreEos: options.ignoreEos ?? true,
    };
    const model = new OpenAiModel(
      {
        versions: {
          api: `OpenAI-compatible ${settings.api === "chat" ? "/v1/chat/completions" : "/v1/completions"}`,
          served: settings.model,
        },
        gpu: {
          used: false,
          reason: "served model: the server's hardware is not visible from here",
        },
        contextSize: declaredContextSize(options),
        threads: runtime.threads,
        parallel: runtime.parallel ?? 1,
      },
      settings,
    );
    try {
      await checkServed(settings, signal);
      // Asked for log-likelihoods: find out now whether the server can give them, not per item.
      if (runtime.needs?.includes("loglikelihood")) {
        if (settings.api === "chat") {
          throw new BenchError(
            "E_CAPABILITY",
            `openai: ${settings.baseUrl}: log-likelihoods need the completions API (backend.api: chat cannot echo a prompt)`,
            { hint: "set backend.api: completions, or evaluate only generation tasks" },
          );
        }
        await model.loglikelihood({ context: "The sky is", continuations: [" blue"] }, signal);
      }
    } catch (error) {
      settings.pool.close();
      throw error;
    }
    return model;
  },
};

/** GET /models: the model must be among those served (skipped where the server has no list). */
async function checkServed(settings: Settings, signal?: AbortSignal): Promise<void> {
  const where = settings.baseUrl;
  let response: Answer;
  try {
    response = await sendRequest(
      settings.pool,
      { path: `${settings.basePath}/models`, method: "GET", headers: settings.headers },
      signal,
    );
  } catch (cause) {
    if (signal?.aborted) throw signal.reason;
    const code = (cause as { code?: string }).code ?? (cause as Error).message;
    throw new BenchError(
      "E_BACKEND_LOAD",
      `openai: cannot reach ${where}: ${printable(String(code), 80)}`,
      { hint: "check that the server runs and the manifest's backend.baseUrl is right", cause },
    );
  }
  const status = response.statusCode;
  if (status === 401 || status === 403) {
    await response.body.dump({ limit: 65_536 }).catch(() => undefined);
    throw new BenchError(
      "E_BACKEND_LOAD",
      `openai: ${where} refused the API key with HTTP ${status}`,
      {
        hint: settings.keyName
          ? `set ${settings.keyName} to a key the server accepts`
          : "name the key's environment variable in backend.apiKeyEnv",
      },
    );
  }
  if (status < 200 || status >= 300) {
    await response.body.dump({ limit: 65_536 }).catch(() => undefined);
    return;
  }
  const text = await boundedText(response.body, maxLineChars);
  let ids: string[] | undefined;
  try {
    const data = (JSON.parse(text) as { data?: { id?: unknown }[] }).data;
    ids = Array.isArray(data)
      ? data.map((m) => m?.id).filter((id): id is string => typeof id === "string")
      : undefined;
  } catch {
    ids = undefined;
  }
  if (ids && ids.length > 0 && !ids.includes(settings.model)) {
    throw new BenchError(
      "E_BACKEND_LOAD",
      `openai: ${where} does not serve ${printable(JSON.stringify(settings.model), 80)} (it serves ${ids
        .slice(0, 8)
        .map((id) => printable(JSON.stringify(id), 60))
        .join(", ")})`,
      { hint: "set backend.model to a name the server lists at /v1/models" },
    );
  }
}
