import net from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../test/helpers.ts";
import {
  type Behaviour,
  type FakeServer,
  fakeLogprob,
  fakeTokens,
  startFakeServer,
} from "../../test/openai-server.ts";
import { loadManifest } from "../config/load.ts";
import type { OpenaiBackend } from "../generated/model.ts";
import { openaiBackend, retryDelayMs, SseSplitter } from "./openai.ts";
import type { Capability, LoadedModel, StreamPart } from "./types.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  behave?: (n: number) => Behaviour,
  options: Partial<OpenaiBackend> = {},
  extra: { apiKey?: string; env?: Record<string, string>; needs?: Capability[] } = {},
): Promise<{ model: LoadedModel; server: FakeServer }> {
  server = await startFakeServer({
    ...(behave ? { behave } : {}),
    ...(extra.apiKey ? { apiKey: extra.apiKey } : {}),
  });
  const model = await openaiBackend.load({
    artifacts: {},
    options: {
      type: "openai",
      baseUrl: server.url,
      model: "fake-model",
      retryBaseMs: 5,
      ...options,
    },
    runtime: {
      threads: 1,
      gpu: false,
      env: extra.env ?? {},
      ...(extra.needs ? { needs: extra.needs } : {}),
    },
  });
  return { model, server };
}

async function collect(stream: AsyncIterable<StreamPart> | undefined) {
  const parts: StreamPart[] = [];
  for await (const part of stream ?? []) parts.push(part);
  return parts;
}

describe("the openai backend against a real HTTP server on loopback", () => {
  it("streams completions as timed deltas and ends with the server's usage", async () => {
    const { model } = await setup(() => ({ tokenDelayMs: 5 }));
    const parts = await collect(model.stream?.({ prompt: "Hello there", maxTokens: 4 }));
    const deltas = parts.filter((p) => p.type === "delta");
    expect(deltas.map((d) => d.text)).toEqual([" tok1", " tok2", " tok3", " tok4"]);
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      finishReason: "length",
      promptTokens: 2,
      completionTokens: 4,
    });
    const times = deltas.map((d) => d.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Each delta waited for its event: the gaps are the server's delays (no wall-clock bound).
    expect(new Set(times).size).toBe(4);
  });

  it("streams chat completions, and counts text events when the server sends no usage", async () => {
    const { model, server } = await setup(() => ({ noUsage: true }), { api: "chat" });
    const parts = await collect(model.stream?.({ prompt: "Hi", maxTokens: 3, chatTemplate: true }));
    expect(parts.at(-1)).toMatchObject({ completionTokens: 3, promptTokens: null });
    expect(server.requests.at(-1)?.body).toMatchObject({
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      temperature: 0,
    });
  });

  it("answers without streaming, with sampling parameters sent as asked", async () => {
    const { model, server } = await setup();
    const result = await model.generate?.({
      prompt: "Once",
      maxTokens: 2,
      temperature: 0.7,
      topP: 0.9,
      seed: 42,
      stop: ["\n\n"],
    });
    expect(result).toMatchObject({ text: " tok1 tok2", tokens: 2, finishReason: "length" });
    expect(server.requests.at(-1)?.body).toEqual({
      model: "fake-model",
      prompt: "Once",
      max_tokens: 2,
      stop: ["\n\n"],
      temperature: 0.7,
      top_p: 0.9,
      seed: 42,
    });
  });

  it("retries 429 and 503 with backoff, honouring Retry-After, then succeeds", async () => {
    const script: Behaviour[] = [{ status: 429, retryAfter: "0" }, { status: 503 }, {}];
    const { model, server } = await setup((n) => script[n] ?? {});
    const result = await model.generate?.({ prompt: "x", maxTokens: 1 });
    expect(result?.text).toBe(" tok1");
    expect(server.requests.filter((r) => r.path === "/v1/completions")).toHaveLength(3);
  });

  it("retries a connection dropped before any answer", async () => {
    const { model, server } = await setup((n) => (n === 0 ? { reset: true } : {}));
    expect((await model.generate?.({ prompt: "x", maxTokens: 1 }))?.text).toBe(" tok1");
    expect(server.requests.filter((r) => r.path === "/v1/completions")).toHaveLength(2);
  });

  it("gives up after maxRetries with the last status, counted as retryable", async () => {
    const { model } = await setup(() => ({ status: 502 }), { maxRetries: 2 });
    await expect(model.generate?.({ prompt: "x", maxTokens: 1 })).rejects.toMatchObject({
      code: "E_BACKEND_RETRYABLE",
      message: expect.stringMatching(/answered HTTP 502 after 3 attempts/),
    });
  });

  it("does not retry a 400, and says what the server said", async () => {
    const { model, server } = await setup(() => ({ status: 400 }));
    await expect(model.generate?.({ prompt: "x", maxTokens: 1 })).rejects.toMatchObject({
      code: "E_BACKEND",
      message: expect.stringMatching(/answered HTTP 400: .*scripted 400/),
    });
    expect(server.requests.filter((r) => r.path === "/v1/completions")).toHaveLength(1);
  });

  it("times out a request that takes longer than timeoutMs", async () => {
    const { model } = await setup((n) => (n === 0 ? { delayMs: 2_000 } : {}), {
      timeoutMs: 100,
      maxRetries: 0,
    });
    await expect(model.generate?.({ prompt: "x", maxTokens: 1 })).rejects.toMatchObject({
      code: "E_BACKEND_RETRYABLE",
      message: expect.stringMatching(/sent nothing for 100 ms/),
    });
  });

  it("cancels a request when the caller aborts", async () => {
    const { model } = await setup(() => ({ tokenDelayMs: 50 }));
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    const reading = (async () => {
      for await (const part of model.stream?.({ prompt: "x", maxTokens: 50 }, controller.signal) ??
        []) {
        parts.push(part);
        if (parts.length === 2) controller.abort(new Error("stopped by the test"));
      }
    })();
    await expect(reading).rejects.toThrow("stopped by the test");
    expect(parts.length).toBeLessThan(50);
  });

  it("reports a stream broken off mid-way, and a malformed event, as errors of the request", async () => {
    const { model } = await setup((n) =>
      n === 0 ? { disconnectAfter: 2 } : { malformed: "{not json" },
    );
    await expect(collect(model.stream?.({ prompt: "x", maxTokens: 5 }))).rejects.toMatchObject({
      code: "E_BACKEND_RETRYABLE",
      message: expect.stringMatching(/after 2 text events/),
    });
    await expect(collect(model.stream?.({ prompt: "x", maxTokens: 5 }))).rejects.toMatchObject({
      code: "E_BACKEND",
      message: expect.stringMatching(/an event that is not JSON: "\{not json"/),
    });
  });

  it("sends the API key from the named variable, never shows it, and explains a 401", async () => {
    const key = "sk-test-0123456789abcdef";
    const { model, server: keyed } = await setup(
      undefined,
      { apiKeyEnv: "FAKE_API_KEY" },
      {
        apiKey: key,
        env: { FAKE_API_KEY: key },
      },
    );
    await model.generate?.({ prompt: "x", maxTokens: 1 });
    expect(keyed.requests.at(-1)?.authorization).toBe(`Bearer ${key}`);
    await keyed.close();
    const wrong = await startFakeServer({ apiKey: "another" });
    server = wrong;
    const error = await openaiBackend
      .load({
        artifacts: {},
        options: {
          type: "openai",
          baseUrl: wrong.url,
          model: "fake-model",
          apiKeyEnv: "FAKE_API_KEY",
        },
        runtime: { threads: 1, gpu: false, env: { FAKE_API_KEY: key } },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "E_BACKEND_LOAD",
      message: expect.stringMatching(/refused the API key with HTTP 401/),
    });
    expect(JSON.stringify(error)).not.toContain(key);
    expect(String((error as Error).message)).not.toContain(key);
  });

  it("refuses to load without the key's variable, and for a model the server does not serve", async () => {
    server = await startFakeServer();
    const base = { type: "openai" as const, baseUrl: server.url };
    await expect(
      openaiBackend.load({
        artifacts: {},
        options: { ...base, model: "fake-model", apiKeyEnv: "NOT_SET_ANYWHERE" },
        runtime: { threads: 1, gpu: false, env: {} },
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/NOT_SET_ANYWHERE .* is not set/) });
    await expect(
      openaiBackend.load({
        artifacts: {},
        options: { ...base, model: "other-model" },
        runtime: { threads: 1, gpu: false },
      }),
    ).rejects.toMatchObject({
      code: "E_BACKEND_LOAD",
      message: expect.stringMatching(/does not serve "other-model" \(it serves "fake-model"\)/),
    });
  });

  it("says a server that is not there cannot be reached", async () => {
    const closed = await startFakeServer();
    await closed.close();
    await expect(
      openaiBackend.load({
        artifacts: {},
        options: { type: "openai", baseUrl: closed.url, model: "fake-model" },
        runtime: { threads: 1, gpu: false },
      }),
    ).rejects.toMatchObject({
      code: "E_BACKEND_LOAD",
      message: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:\d+\/v1: ECONNREFUSED/),
    });
  });

  // lm-evaluation-harness's local-completions: echo + logprobs, the continuation's tokens summed.
  it("scores log-likelihoods from echoed prompt logprobs: the continuation's tokens only", async () => {
    const { model } = await setup(undefined, {}, { needs: ["loglikelihood"] });
    const [blue, green] =
      (await model.loglikelihood?.({
        context: "The sky is",
        continuations: [" blue", " bright green"],
      })) ?? [];
    expect(blue).toMatchObject({ tokens: 1, greedy: true, tokenIds: [] });
    expect(blue?.loglikelihood).toBeCloseTo(fakeLogprob(" blue"), 12);
    const expected = fakeTokens("The sky is bright green")
      .filter((t) => t.offset >= "The sky is".length)
      .reduce((s, t) => s + fakeLogprob(t.token), 0);
    expect(green?.tokens).toBe(2);
    expect(green?.loglikelihood).toBeCloseTo(expected, 12);
    expect(green?.tokenLogprobs).toEqual([fakeLogprob(" bright"), fakeLogprob(" green")]);
  });

  it("scores where the server echoes a BOS token's text before the prompt (vLLM's <s>)", async () => {
    const { model } = await setup(() => ({ echoBos: "<s>" }), {}, { needs: ["loglikelihood"] });
    const [blue] =
      (await model.loglikelihood?.({ context: "The sky is", continuations: [" blue"] })) ?? [];
    expect(blue?.loglikelihood).toBeCloseTo(fakeLogprob(" blue"), 12);
  });

  it("does not retry a request that asks not to (speed runs count failures)", async () => {
    const { model, server } = await setup(() => ({ status: 503 }));
    await expect(
      model.generate?.({ prompt: "x", maxTokens: 1, noRetry: true }),
    ).rejects.toMatchObject({ code: "E_BACKEND_RETRYABLE" });
    expect(server.requests.filter((r) => r.path === "/v1/completions")).toHaveLength(1);
  });

  it("streams retry, give up, refuse and time out as single answers do", async () => {
    const requests = (server: FakeServer) =>
      server.requests.filter((r) => r.path === "/v1/completions").length;
    const script: Behaviour[] = [{ status: 429, retryAfter: "0" }, { reset: true }, {}];
    let run = await setup((n) => script[n] ?? {});
    const parts = await collect(run.model.stream?.({ prompt: "x", maxTokens: 2 }));
    expect(parts.map((p) => p.type)).toEqual(["delta", "delta", "finish"]);
    expect(requests(run.server)).toBe(3);
    await server?.close();

    run = await setup(() => ({ status: 502 }), { maxRetries: 2 });
    await expect(collect(run.model.stream?.({ prompt: "x", maxTokens: 1 }))).rejects.toMatchObject({
      code: "E_BACKEND_RETRYABLE",
      message: expect.stringMatching(/answered HTTP 502 after 3 attempts/),
    });
    await server?.close();

    run = await setup(() => ({ status: 400 }));
    await expect(collect(run.model.stream?.({ prompt: "x", maxTokens: 1 }))).rejects.toMatchObject({
      code: "E_BACKEND",
      message: expect.stringMatching(/answered HTTP 400: .*scripted 400/),
    });
    expect(requests(run.server)).toBe(1);
    await server?.close();

    run = await setup(() => ({ status: 503 }));
    await expect(
      collect(run.model.stream?.({ prompt: "x", maxTokens: 1, noRetry: true })),
    ).rejects.toMatchObject({ code: "E_BACKEND_RETRYABLE" });
    expect(requests(run.server)).toBe(1);
    await server?.close();

    run = await setup((n) => (n === 0 ? { delayMs: 2_000 } : {}), {
      timeoutMs: 100,
      maxRetries: 0,
    });
    await expect(collect(run.model.stream?.({ prompt: "x", maxTokens: 1 }))).rejects.toMatchObject({
      code: "E_BACKEND_RETRYABLE",
      message: expect.stringMatching(/sent nothing for 100 ms/),
    });
  });

  it("refuses to score with a server that ignores echo, as llama-server does, at load", async () => {
    await expect(
      setup(() => ({ ignoreEcho: true }), {}, { needs: ["loglikelihood"] }),
    ).rejects.toMatchObject({
      code: "E_CAPABILITY",
      message: expect.stringMatching(/does not echo the prompt's log-probabilities/),
    });
  });

  it("computes Retry-After and doubling backoff delays", () => {
    expect(retryDelayMs(0, 500, "2")).toBe(2000);
    expect([0, 1, 2].map((a) => retryDelayMs(a, 500, null))).toEqual([500, 1000, 2000]);
    expect(retryDelayMs(20, 500, null)).toBe(60_000);
    expect(retryDelayMs(0, 500, "soon")).toBe(500);
    expect(retryDelayMs(0, 500, "")).toBe(500);
    expect(retryDelayMs(0, 500, "-3")).toBe(500);
  });
});

describe("the hosted models' manifests (models/openai, models/anthropic)", () => {
  it.each([
    ["models/openai/gpt-4o-mini.yaml", "OPENAI_API_KEY"],
    ["models/anthropic/claude-3-5-haiku.yaml", "ANTHROPIC_API_KEY"],
  ])(
    "%s: chat, priced, no ignore_eos, and its key asked for before any request",
    async (path, key) => {
      const manifest = loadManifest(join(repoRoot, path));
      const backend = manifest.data.backend as OpenaiBackend;
      expect(backend).toMatchObject({
        type: "openai",
        api: "chat",
        ignoreEos: false,
        apiKeyEnv: key,
      });
      expect(backend.baseUrl).toMatch(/^https:\/\//);
      expect(backend.pricing?.currency).toBe("USD");
      await expect(
        openaiBackend.load({
          artifacts: {},
          options: backend,
          runtime: { threads: 1, gpu: false, env: {} },
        }),
      ).rejects.toMatchObject({
        code: "E_BACKEND_LOAD",
        message: expect.stringContaining(`${key} (backend.apiKeyEnv) is not set`),
      });
    },
  );
});

/** The `data:` payloads of the lines `chunk` completes, decoded. */
function feed(splitter: SseSplitter, chunk: Uint8Array): string[] {
  const out: string[] = [];
  splitter.feedBytes(chunk, (bytes, start, end) => {
    out.push(bytes.toString("utf8", start, end));
    return false;
  });
  return out;
}

describe("SseSplitter: server-sent events as the WHATWG event-stream format splits them", () => {
  const stream =
    ': a comment\r\ndata: {"a":"é€😀"}\r\n\r\nevent: message\nid: 7\ndata:{"b":1}\n\ndata:  [DONE]\n\n';
  const expected = ['{"a":"é€😀"}', '{"b":1}', "[DONE]"];

  it("gives the same data lines however the bytes are cut, multi-byte characters included", () => {
    const bytes = Buffer.from(stream);
    for (let i = 0; i <= bytes.length; i++) {
      const splitter = new SseSplitter();
      const got = [...feed(splitter, bytes.subarray(0, i)), ...feed(splitter, bytes.subarray(i))];
      expect(got).toEqual(expected);
    }
    const splitter = new SseSplitter();
    expect([...bytes].flatMap((b) => feed(splitter, Uint8Array.of(b)))).toEqual(expected);
  });

  it("never gives a last line that lacks its newline", () => {
    const splitter = new SseSplitter();
    expect(feed(splitter, Buffer.from('data: {"a":1}\ndata: {"cut'))).toEqual(['{"a":1}']);
  });

  it("refuses a line that never ends", () => {
    const splitter = new SseSplitter();
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    expect(() => {
      for (let i = 0; i < 5; i++) feed(splitter, piece);
    }).toThrow(/an event line of over 4194304 bytes/);
  });
});

describe("the openai backend against a raw TCP server (answers no HTTP library would send)", () => {
  let tcp: net.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
    tcp = undefined;
  });

  /** A server that answers GET /v1/models with 404 and every POST with `answer`. */
  async function rawModel(answer: (socket: net.Socket) => void) {
    const posts: string[] = [];
    const sockets = new Set<net.Socket>();
    tcp = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("data", (data) => {
        const text = data.toString();
        if (text.startsWith("GET"))
          socket.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        else {
          posts.push(text);
          answer(socket);
        }
      });
    });
    const server = tcp;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const model = await openaiBackend.load({
      artifacts: {},
      options: {
        type: "openai",
        baseUrl: `http://127.0.0.1:${port}/v1`,
        model: "m",
        retryBaseMs: 5,
        timeoutMs: 30_000,
      },
      runtime: { threads: 1, gpu: false, env: {} },
    });
    const close = () => {
      for (const socket of sockets) socket.destroy();
    };
    return { model, posts, close };
  }

  it("ends a stream at [DONE] even when the chunked body's last bytes never come", async () => {
    const { model, close } = await rawModel((socket) =>
      socket.write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
          chunk('data: {"choices":[{"text":" hi","finish_reason":"length"}]}\n\n') +
          chunk('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n') +
          chunk("data: [DONE]\n\n"),
      ),
    );
    const parts = await collect(model.stream?.({ prompt: "x", maxTokens: 1 }));
    expect(parts.map((p) => p.type)).toEqual(["delta", "finish"]);
    expect(parts[1]).toMatchObject({ promptTokens: 3, completionTokens: 1 });
    close();
    await model.dispose();
  });

  it("reads every event of streams whose events differ only in their text as JSON.parse does", async () => {
    // vLLM's shape: an id per request, so each stream learns its own template (sse-event.ts);
    // texts with escapes, quotes and multi-byte characters; one hostile event mid-stream that
    // matches the template around a text that is not one JSON string.
    const texts = [" a", ' "q"', " \\", "\n", " é😀", " \u0000", " b"];
    let request = 0;
    const { model, close } = await rawModel((socket) => {
      request += 1;
      const event = (literal: string, finish = "null") =>
        `data: {"id":"cmpl-${request}","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${literal},"logprobs":null,"finish_reason":${finish}}],"usage":null}\n\n`;
      const body =
        texts.map((t) => event(JSON.stringify(t))).join("") +
        (request === 2 ? event('"x","y"') : "") +
        event(JSON.stringify(" end"), '"length"') +
        'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":8}}\n\ndata: [DONE]\n\n';
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(body)}0\r\n\r\n`,
      );
    });
    const parts = await collect(model.stream?.({ prompt: "x", maxTokens: 8 }));
    expect(
      parts.filter((p) => p.type === "delta").map((p) => (p as { text: string }).text),
    ).toEqual([...texts, " end"]);
    expect(parts.at(-1)).toMatchObject({ finishReason: "length", completionTokens: 8 });
    // The second stream's extra event is not JSON: refused as JSON.parse refuses it.
    await expect(collect(model.stream?.({ prompt: "x", maxTokens: 8 }))).rejects.toMatchObject({
      code: "E_BACKEND",
      message: expect.stringMatching(/an event that is not JSON/),
    });
    close();
    await model.dispose();
  });

  it("does not send again a request whose answer came but could not be read", async () => {
    const { model, posts, close } = await rawModel((socket) => socket.end("SSH-2.0-x\r\n\r\n"));
    await expect(model.generate?.({ prompt: "x", maxTokens: 1 })).rejects.toMatchObject({
      code: "E_BACKEND",
      message: expect.stringMatching(/sent an answer that could not be read: .*HTTP\/1\.1/),
    });
    expect(posts).toHaveLength(1);
    close();
    await model.dispose();
  });
});

/** One chunk of a chunked body. */
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
