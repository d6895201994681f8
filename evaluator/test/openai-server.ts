import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";

/**
 * A real OpenAI-compatible HTTP server on loopback for tests and benchmarks: /v1/models,
 * /v1/completions and /v1/chat/completions, streamed (SSE) or not, with echo + logprobs. Its
 * "model" writes `tok1 tok2 …`; its tokens are the prompt's whitespace-led words, each with the
 * log-probability -0.1 × its length. What each request meets is scripted by `behave`.
 */
export interface Behaviour {
  /** Answer with this status and an error body instead (retries see the next behaviour). */
  status?: number;
  retryAfter?: string;
  /** Drop the connection before answering. */
  reset?: boolean;
  /** Wait before the response's headers. */
  delayMs?: number;
  /** Wait between streamed events. */
  tokenDelayMs?: number;
  /** Streamed: close the connection after this many text events, without [DONE]. */
  disconnectAfter?: number;
  /** Streamed: send this line as an event instead of JSON. */
  malformed?: string;
  /** Echo requests: answer as llama-server does, with logprobs of the generated token only. */
  ignoreEcho?: boolean;
  /** Leave usage out of the answer. */
  noUsage?: boolean;
  /** Echo requests: put a BOS token's text (vLLM's "<s>") before the prompt's tokens. */
  echoBos?: string;
}

export interface FakeServer {
  url: string;
  /** Requests received, by path, with their parsed bodies and headers. */
  requests: { path: string; body: Record<string, unknown>; authorization?: string }[];
  close(): Promise<void>;
}

export interface FakeOptions {
  model?: string;
  /** The API key the server requires (401 without it). */
  apiKey?: string;
  /** The behaviour of request n (0-based, counting generation and echo requests only). */
  behave?: (n: number, body: Record<string, unknown>) => Behaviour;
}

/** The server's tokens of a text: each run of spaces goes with the word after it. */
export function fakeTokens(text: string): { token: string; offset: number }[] {
  return [...text.matchAll(/\s*\S+|\s+$/g)].map((m) => ({ token: m[0], offset: m.index ?? 0 }));
}

export const fakeLogprob = (token: string) => -0.1 * token.length;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += chunk;
  try {
    return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return {};
  }
}

export async function startFakeServer(options: FakeOptions = {}): Promise<FakeServer> {
  const model = options.model ?? "fake-model";
  const requests: FakeServer["requests"] = [];
  let count = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "").replace(/\?.*$/, "");
    const body = req.method === "POST" ? await readBody(req) : {};
    requests.push({
      path,
      body,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Incorrect API key provided", code: 401 } }));
      return;
    }
    if (path === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: model, object: "model" }] }));
      return;
    }
    const chat = path === "/v1/chat/completions";
    if (!chat && path !== "/v1/completions") {
      res.writeHead(404).end();
      return;
    }
    const b = options.behave?.(count++, body) ?? {};
    if (b.reset) {
      req.socket.destroy();
      return;
    }
    if (b.delayMs) await sleep(b.delayMs);
    if (b.status) {
      res.writeHead(b.status, {
        "content-type": "application/json",
        ...(b.retryAfter ? { "retry-after": b.retryAfter } : {}),
      });
      res.end(JSON.stringify({ error: { message: `scripted ${b.status}` } }));
      return;
    }
    const prompt = chat
      ? String((body.messages as { content?: unknown }[] | undefined)?.[0]?.content ?? "")
      : String(body.prompt ?? "");
    const maxTokens = Number(body.max_tokens ?? 16);
    const words = Array.from({ length: maxTokens }, (_, i) => ` tok${i + 1}`);
    const promptTokens = fakeTokens(prompt).length;
    const usage = { prompt_tokens: promptTokens, completion_tokens: words.length };
    if (body.echo === true) {
      const generated = words.slice(0, 1);
      const tokens = b.ignoreEcho
        ? generated.map((token) => ({ token, offset: prompt.length }))
        : [
            ...(b.echoBos ? [{ token: b.echoBos, offset: 0 }] : []),
            ...fakeTokens(prompt).map((t) => ({
              ...t,
              offset: t.offset + (b.echoBos?.length ?? 0),
            })),
            { token: generated[0] as string, offset: prompt.length + (b.echoBos?.length ?? 0) },
          ];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          choices: [
            {
              index: 0,
              text: b.ignoreEcho ? generated.join("") : prompt + generated.join(""),
              finish_reason: "length",
              logprobs: {
                tokens: tokens.map((t) => t.token),
                token_logprobs: tokens.map((t, i) =>
                  i === 0 && !b.ignoreEcho ? null : fakeLogprob(t.token),
                ),
                text_offset: tokens.map((t) => t.offset),
                top_logprobs: tokens.map((t, i) =>
                  i === 0 && !b.ignoreEcho
                    ? null
                    : { [t.token]: fakeLogprob(t.token), " other": fakeLogprob(t.token) - 1 },
                ),
              },
            },
          ],
          usage,
        }),
      );
      return;
    }
    if (body.stream !== true) {
      res.writeHead(200, { "content-type": "application/json" });
      const text = words.join("");
      res.end(
        JSON.stringify({
          id: "cmpl-fake",
          choices: [
            chat
              ? { index: 0, message: { role: "assistant", content: text }, finish_reason: "length" }
              : { index: 0, text, finish_reason: "length" },
          ],
          ...(b.noUsage ? {} : { usage }),
        }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    for (const [i, word] of words.entries()) {
      if (b.disconnectAfter !== undefined && i >= b.disconnectAfter) {
        // Let the events sent so far reach the client, then drop the connection.
        await sleep(20);
        res.socket?.destroy();
        return;
      }
      if (b.tokenDelayMs) await sleep(b.tokenDelayMs);
      if (b.malformed !== undefined && i === 1) {
        res.write(`data: ${b.malformed}\n\n`);
        continue;
      }
      const last = i === words.length - 1;
      const choice = chat
        ? { index: 0, delta: { content: word }, finish_reason: last ? "length" : null }
        : { index: 0, text: word, finish_reason: last ? "length" : null };
      res.write(`data: ${JSON.stringify({ id: "cmpl-fake", choices: [choice] })}\n\n`);
    }
    if (!b.noUsage) res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
    res.end("data: [DONE]\n\n");
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A served model's manifest at <root>/models/acme/served.yaml pointing at `url`; its path. */
export function writeServedManifest(root: string, url: string, extra: string[] = []): string {
  const file = join(root, "models", "acme", "served.yaml");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    [
      "schemaVersion: 1",
      "id: acme/served",
      "name: Served fake model",
      "license: MIT",
      "purpose: pipeline-check",
      "backend:",
      "  type: openai",
      `  baseUrl: ${url}`,
      "  model: fake-model",
      ...extra.map((line) => `  ${line}`),
      "",
    ].join("\n"),
  );
  return file;
}
