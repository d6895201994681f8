import { execFileSync } from "node:child_process";
import { getEventListeners } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import {
  H1Error,
  H1Pool,
  type Head,
  headerLines,
  parseHead,
  type ResponseHandler,
  ResponseParser,
} from "./h1.ts";

// References: RFC 9112 (HTTP/1.1 message syntax: status line §4, field lines §5, chunked
// transfer coding §7.1, message body length §6.3) and llhttp's strict mode, which refuses what
// these tables refuse.

describe("parseHead: a response head as RFC 9112 writes it", () => {
  it("reads the status, lower-cased names, repeated fields joined, and the framing", () => {
    const head = parseHead(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-A: 1\r\nx-a:  2 \r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5",
    );
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("text/event-stream");
    expect(head.headers.get("x-a")).toBe("1, 2");
    expect(head.framing).toBe("chunked");
    expect(head.reusable).toBe(true);
    expect(head.keepAliveMs).toBe(4000);
  });

  it.each<[string, Partial<Head>]>([
    ["HTTP/1.1 200 OK\r\nContent-Length: 12", { framing: "length", length: 12, reusable: true }],
    ["HTTP/1.1 200\r\nContent-Length: 0", { framing: "length", length: 0 }],
    ["HTTP/1.1 204 No Content", { framing: "length", length: 0, reusable: true }],
    ["HTTP/1.1 304 Not Modified", { framing: "length", length: 0 }],
    // No body for 204 and 304, whatever the framing headers say (RFC 9112 §6.3 item 1).
    ["HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked", { framing: "length", length: 0 }],
    ["HTTP/1.1 304 Not Modified\r\nContent-Length: 10", { framing: "length", length: 0 }],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked ", { framing: "chunked" }],
    ["HTTP/1.1 200 OK", { framing: "close", reusable: false }],
    ["HTTP/1.0 200 OK\r\nContent-Length: 3", { framing: "length", reusable: false }],
    ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3", { reusable: false }],
    ["HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 3", { reusable: false }],
    ["HTTP/1.1 200 OK\r\nContent-Length: 3, 3", { framing: "length", length: 3 }],
    // Both framings: chunked wins and the connection is not reused (RFC 9112 §6.3 item 3).
    [
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked",
      { framing: "chunked", reusable: false },
    ],
    ["HTTP/1.1 100 Continue", { status: 100 }],
    ["HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1", { keepAliveMs: 0 }],
    ["HTTP/1.1 200 OK\r\nKeep-Alive: max=5, timeout=3", { keepAliveMs: 2000 }],
  ])("%j", (text, expected) => {
    expect(parseHead(text)).toMatchObject(expected);
  });

  it("keeps a header named like an Object property as a header, nothing more", () => {
    const head = parseHead(
      "HTTP/1.1 200 OK\r\n__proto__: x\r\nconstructor: y\r\nContent-Length: 0",
    );
    expect(head.headers.get("__proto__")).toBe("x");
    expect(head.headers.get("constructor")).toBe("y");
    expect(Object.getPrototypeOf(head.headers)).toBe(Map.prototype);
  });

  it.each<[string, RegExp]>([
    ["", /did not answer in HTTP\/1\.1/],
    ["HTTP/2 200", /did not answer in HTTP\/1\.1/],
    ["HTTP/1.2 200 OK", /did not answer in HTTP\/1\.1/],
    ["HTTP/1.1 20 OK", /did not answer in HTTP\/1\.1/],
    ["HTTP/1.1 099 OK", /did not answer in HTTP\/1\.1/],
    ["HTTP/1.1 600 OK", /did not answer in HTTP\/1\.1/],
    ["HTTP/1.1 2000", /did not answer in HTTP\/1\.1/],
    ["HTTP/1.1  200 OK", /did not answer in HTTP\/1\.1/],
    ["SSH-2.0-OpenSSH_9.6", /did not answer in HTTP\/1\.1/],
    ["HTTP/1.1 200 OK\r\nno colon here", /malformed header line/],
    ["HTTP/1.1 200 OK\r\n: empty name", /malformed header line/],
    ["HTTP/1.1 200 OK\r\nBad Name: x", /malformed header line/],
    ["HTTP/1.1 200 OK\r\n folded: continuation", /malformed header line/],
    ["HTTP/1.1 200 OK\r\nName\u00e9: x", /malformed header line/],
    ["HTTP/1.1 200 OK\r\nX: a\nInjected: b", /line break or NUL/],
    ["HTTP/1.1 200 OK\r\nX: a\u0000b", /line break or NUL/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip", /only chunked is read/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip", /only chunked is read/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked", /only chunked is read/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked", /only chunked is read/],
    ["HTTP/1.1 200 O\nK\r\nContent-Length: 0", /status line holds a bare line break or NUL/],
    ["HTTP/1.1 200 O\u0000K", /status line holds a bare line break or NUL/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip", /only chunked/],
    ["HTTP/1.1 200 OK\r\nContent-Length: abc", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: -1", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1e3", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 5, 6", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6", /invalid Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999", /invalid Content-Length/],
    ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket", /switched protocols/],
  ])("refuses %j", (text, message) => {
    let error: unknown;
    try {
      parseHead(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(H1Error);
    expect((error as H1Error).code).toBe("H1_PROTOCOL");
    expect((error as H1Error).message).toMatch(message);
    expect((error as H1Error).message.length).toBeLessThan(200);
  });
});

/** What a parser handed on for bytes fed in the given pieces. */
function parse(pieces: Buffer[]): { statuses: number[]; body: string; rest: string[] } {
  const out = { statuses: [] as number[], body: "", rest: [] as string[] };
  const parser = new ResponseParser({
    onHead: (head) => out.statuses.push(head.status),
    onData: (chunk) => {
      out.body += chunk.toString("latin1");
    },
    onComplete: (rest) => {
      out.rest.push(rest.toString("latin1"));
    },
  });
  parser.expect();
  for (const piece of pieces) {
    // A piece is a view of a buffer that the next read overwrites: the parser must not keep it.
    const copy = Buffer.from(piece);
    parser.feed(copy);
    copy.fill(0x23);
  }
  return out;
}

/** Every way of cutting `bytes` in two, and byte by byte. */
function cuts(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => Buffer.from([b])));
  return out;
}

describe("ResponseParser: bodies framed by length, chunks or close, cut anywhere", () => {
  const cases: [string, string, { statuses: number[]; body: string; rest: string[] }][] = [
    [
      "Content-Length",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      { statuses: [200], body: "hello", rest: [""] },
    ],
    [
      "chunked with extensions and trailers",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7 ; x\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n",
      { statuses: [200], body: "hello, world", rest: [""] },
    ],
    [
      "chunked, upper-case hex, no trailers",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
      { statuses: [200], body: "0123456789", rest: [""] },
    ],
    [
      "100 Continue, then the answer",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      { statuses: [200], body: "ok", rest: [""] },
    ],
    [
      "204 with bytes after it",
      "HTTP/1.1 204 No Content\r\n\r\nXY",
      { statuses: [204], body: "", rest: ["XY"] },
    ],
    [
      "bytes after a Content-Length body",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1",
      { statuses: [200], body: "ok", rest: ["HTTP/1.1"] },
    ],
  ];
  it.each(cases)("%s", (_name, text, expected) => {
    const bytes = Buffer.from(text, "latin1");
    for (const pieces of cuts(bytes)) {
      const got = parse(pieces);
      // The answer completes once; the bytes after it that came in the same piece come with the
      // completion (the connection refuses them), those in later pieces the parser ignores.
      expect({ ...got, rest: undefined }).toEqual({ ...expected, rest: undefined });
      expect(got.rest).toHaveLength(1);
      expect((expected.rest[0] ?? "").startsWith(got.rest[0] ?? "")).toBe(true);
    }
  });

  it("reads a body until close, and completes it when the connection closes", () => {
    let body = "";
    let complete = 0;
    const parser = new ResponseParser({
      onHead: () => undefined,
      onData: (chunk) => {
        body += chunk.toString();
      },
      onComplete: () => {
        complete += 1;
      },
    });
    parser.expect();
    parser.feed(Buffer.from("HTTP/1.1 200 OK\r\n\r\nall of "));
    parser.feed(Buffer.from("it"));
    expect(complete).toBe(0);
    expect(parser.closed()).toBe(true);
    expect({ body, complete }).toEqual({ body: "all of it", complete: 1 });
    // A close in the middle of a framed body is not an end.
    parser.expect();
    parser.feed(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf"));
    expect(parser.closed()).toBe(false);
  });

  it("stops at once when a callback gives the answer up", () => {
    const seen: string[] = [];
    const parser = new ResponseParser({
      onHead: () => undefined,
      onData: (chunk) => {
        seen.push(chunk.toString());
        parser.reset();
      },
      onComplete: () => seen.push("complete"),
    });
    parser.expect();
    parser.feed(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n"));
    parser.feed(Buffer.from("1\r\nb\r\n0\r\n\r\n"));
    expect(seen).toEqual(["a"]);
    expect(parser.busy).toBe(false);
  });

  it("hands the chunks of one read on as one piece, before the answer's end or a refusal", () => {
    const seen: string[] = [];
    const parser = new ResponseParser({
      onHead: () => seen.push("head"),
      onData: (chunk) => seen.push(chunk.toString()),
      onComplete: (rest) => seen.push(`complete ${JSON.stringify(rest.toString())}`),
    });
    const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    parser.expect();
    parser.feed(Buffer.from(`${head}1\r\na\r\n2;x=y\r\nbc\r\n3\r\ndef\r\n0\r\n\r\nnext`));
    expect(seen).toEqual(["head", "abcdef", 'complete "next"']);
    // A chunk cut across reads: each read's part is handed on with that read.
    seen.length = 0;
    parser.expect();
    parser.feed(Buffer.from(`${head}1\r\na\r\n4\r\nbc`));
    parser.feed(Buffer.from("de\r\n1\r\nf\r\n0\r\n\r\n"));
    expect(seen).toEqual(["head", "abc", "def", 'complete ""']);
    // The data before a refusal in the same read comes first.
    seen.length = 0;
    parser.expect();
    expect(() => parser.feed(Buffer.from(`${head}1\r\na\r\n1\r\nbX`))).toThrow(
      /not followed by CRLF/,
    );
    expect(seen).toEqual(["head", "ab"]);
  });

  it.each<[string, string, RegExp]>([
    ["a chunk size that is not hex", "zz\r\n", /chunk size is not hexadecimal/],
    ["a negative chunk size", "-1\r\n", /chunk size is not hexadecimal/],
    ["a chunk size of 13 hex digits", "1000000000000\r\n", /chunk size is not hexadecimal/],
    ["an empty chunk-size line", "\r\n", /chunk size is not hexadecimal/],
    ["a chunk-size line ended by LF alone", "5\nhello\r\n", /does not end in CRLF/],
    ["chunk data longer than its size", "2\r\nabc\r\n", /not followed by CRLF/],
    ["chunk data without its CRLF", "2\r\nab0\r\n\r\n", /not followed by CRLF/],
    ["an endless chunk-size line", `1${";".repeat(2000)}`, /chunk-size line is over/],
    ["endless trailers", `0\r\n${"X: y\r\n".repeat(4000)}`, /trailers are over/],
  ])("refuses %s", (_name, body, message) => {
    const bytes = Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    for (const pieces of [[bytes], [bytes.subarray(0, 50), bytes.subarray(50)]]) {
      expect(() => parse(pieces)).toThrow(message);
    }
  });

  it("refuses a head that never ends within 64 KiB, fed at once or in pieces", () => {
    const head = Buffer.from(`HTTP/1.1 200 OK\r\n${"X-Filler: 0123456789\r\n".repeat(4000)}`);
    expect(() => parse([head])).toThrow(/response head is over 65536 bytes/);
    const pieces = Array.from({ length: Math.ceil(head.length / 1000) }, (_, i) =>
      head.subarray(i * 1000, (i + 1) * 1000),
    );
    expect(() => parse(pieces)).toThrow(/response head is over 65536 bytes/);
  });
});

describe("headerLines", () => {
  it("writes header lines and refuses a value that would start another header", () => {
    expect(headerLines({ a: "1", "content-type": "application/json" })).toBe(
      "a: 1\r\ncontent-type: application/json\r\n",
    );
    expect(() => headerLines({ authorization: "Bearer k\r\nX-Evil: 1" })).toThrow(H1Error);
    expect(() => headerLines({ authorization: "k\u0000" })).toThrow(H1Error);
    expect(() => headerLines({ "bad name": "1" })).toThrow(H1Error);
  });
});

/** A TCP server that answers each request (read up to its blank line and body) as `answer` says. */
interface RawServer {
  url: string;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}
let raw: RawServer | undefined;
let pool: H1Pool | undefined;
afterEach(async () => {
  pool?.close();
  pool = undefined;
  await raw?.close();
  raw = undefined;
});

async function rawServer(
  answer: (socket: net.Socket, request: number) => void,
  wrap?: (listener: (socket: net.Socket) => void) => net.Server,
): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, requests: [] as string[] };
  const listener = (socket: net.Socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = "";
    socket.on("data", (data) => {
      buffered += data.toString("latin1");
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        state.requests.push(buffered.slice(0, end + 4 + length));
        buffered = buffered.slice(end + 4 + length);
        answer(socket, state.requests.length - 1);
      }
    });
  };
  const server = wrap ? wrap(listener) : net.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `${wrap ? "https" : "http"}://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Outcome {
  status?: number;
  headers?: ReadonlyMap<string, string>;
  body: string;
  error?: H1Error;
}

function send(
  p: H1Pool,
  options: { body?: string; signal?: AbortSignal; onData?: (chunk: Buffer) => void } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: "" };
    const handler: ResponseHandler = {
      onHead(status, headers) {
        out.status = status;
        out.headers = headers;
      },
      onData(chunk) {
        out.body += chunk.toString();
        options.onData?.(chunk);
      },
      onEnd: () => resolve(out),
      onError(error) {
        out.error = error;
        resolve(out);
      },
    };
    p.request(
      {
        method: "POST",
        path: "/v1/completions",
        headers: "content-type: application/json\r\n",
        body: options.body ?? "{}",
      },
      handler,
      options.signal,
    );
  });
}

const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe("H1Pool against a TCP server on loopback", () => {
  it("writes one request per answer and reuses its keep-alive connection", async () => {
    raw = await rawServer((socket, n) => socket.write(ok(`answer ${n}`)));
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    for (let i = 0; i < 5; i++) {
      expect(await send(pool, { body: `{"n":${i}}` })).toMatchObject({
        status: 200,
        body: `answer ${i}`,
      });
    }
    expect(raw.connections).toBe(1);
    const { port } = new URL(raw.url);
    expect(raw.requests[3]).toBe(
      `POST /v1/completions HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"n":3}`,
    );
  });

  it("opens a connection per request in flight, and hands them back for reuse", async () => {
    raw = await rawServer((socket) => setTimeout(() => socket.write(ok("x")), 20));
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    const p = pool;
    await Promise.all(Array.from({ length: 8 }, () => send(p)));
    expect(raw.connections).toBe(8);
    await Promise.all(Array.from({ length: 8 }, () => send(p)));
    expect(raw.connections).toBe(8);
    expect(pool.size).toBe(8);
  });

  it("does not reuse a connection the server closes, nor one whose answer had bytes after it", async () => {
    raw = await rawServer((socket, n) =>
      socket.write(
        n === 0 ? ok("a", "Connection: close\r\n") : n === 1 ? `${ok("b")}junk` : ok("c"),
      ),
    );
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    expect((await send(pool)).body).toBe("a");
    expect((await send(pool)).body).toBe("b");
    expect((await send(pool)).body).toBe("c");
    expect(raw.connections).toBe(3);
  });

  it("sends a request once more, on a new connection, when a kept-alive one closes before any byte of its answer", async () => {
    // llama-server closes the connection after each streamed answer while its head says
    // keep-alive: the next request can be written to a connection already closed.
    for (const close of [
      (socket: net.Socket) => socket.end(),
      (socket: net.Socket) => socket.resetAndDestroy(),
    ]) {
      raw = await rawServer((socket, n) =>
        n === 1 ? close(socket) : socket.write(ok(`answer ${n}`)),
      );
      pool = new H1Pool(raw.url, { timeoutMs: 5000 });
      expect((await send(pool)).body).toBe("answer 0");
      expect(await send(pool, { body: '{"again":1}' })).toMatchObject({ body: "answer 2" });
      expect(raw.requests).toHaveLength(3);
      expect(raw.requests[2]).toBe(raw.requests[1]);
      expect(raw.connections).toBe(2);
      pool.close();
      await raw.close();
    }
  });

  it("does not send again what a new connection lost, what had an answer begun, nor twice", async () => {
    const cases: [string, (socket: net.Socket, n: number) => void, number, RegExp][] = [
      ["a new connection closed unanswered", (socket) => socket.end(), 1, /without answering/],
      [
        "a kept-alive one closed mid-answer",
        (socket, n) =>
          n === 0
            ? socket.write(ok("a"))
            : socket.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"),
        2,
        /mid-answer/,
      ],
      [
        "the resent request lost again",
        (socket, n) => (n === 0 ? socket.write(ok("a")) : socket.end()),
        3,
        /without answering/,
      ],
    ];
    for (const [why, answer, requests, message] of cases) {
      raw = await rawServer(answer);
      pool = new H1Pool(raw.url, { timeoutMs: 5000 });
      let outcome = await send(pool);
      if (requests > 1) outcome = await send(pool);
      expect(outcome.error?.message, why).toMatch(message);
      expect(raw.requests, why).toHaveLength(requests);
      pool.close();
      await raw.close();
    }
  });

  it("drops an idle connection past the server's keep-alive timeout", async () => {
    raw = await rawServer((socket) => socket.write(ok("x", "Keep-Alive: timeout=1\r\n")));
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    await send(pool);
    await send(pool);
    // timeout=1 leaves no time to reuse it (less 1 s): every request opens its own.
    expect(raw.connections).toBe(2);
  });

  it("reads chunked answers sent a few bytes at a time", async () => {
    const answer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\ndata: \r\n3\r\nabc\r\n0\r\n\r\n";
    raw = await rawServer((socket) => {
      socket.setNoDelay(true);
      let i = 0;
      const drip = () => {
        if (i >= answer.length) return;
        socket.write(answer.slice(i, i + 3));
        i += 3;
        setImmediate(drip);
      };
      drip();
    });
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    expect(await send(pool)).toMatchObject({ status: 200, body: "data: abc" });
    expect(await send(pool)).toMatchObject({ status: 200, body: "data: abc" });
    expect(raw.connections).toBe(1);
  });

  it.each<[string, (socket: net.Socket) => void, string, boolean]>([
    ["closed without answering", (socket) => socket.end(), "H1_CLOSED", false],
    ["reset without answering", (socket) => socket.resetAndDestroy(), "ECONNRESET", false],
    [
      "closed in the middle of the body",
      (socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"),
      "H1_CLOSED",
      true,
    ],
    [
      "closed in the middle of a chunk",
      (socket) => socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nhalf"),
      "H1_CLOSED",
      true,
    ],
    [
      "answered in another protocol",
      (socket) => socket.write("SSH-2.0-x\r\n\r\n"),
      "H1_PROTOCOL",
      true,
    ],
    [
      "answered with a broken chunk",
      (socket) => socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"),
      "H1_PROTOCOL",
      true,
    ],
  ])("a server that %s fails the request with %s", async (_name, answer, code, answered) => {
    raw = await rawServer(answer);
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    const out = await send(pool);
    expect(out.error?.code).toBe(code);
    expect(out.error?.answered).toBe(answered);
    expect(pool.size).toBe(0);
  });

  it("a body read until close ends when the server closes", async () => {
    raw = await rawServer((socket) => socket.end("HTTP/1.1 200 OK\r\n\r\nuntil the end"));
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    expect(await send(pool)).toMatchObject({ status: 200, body: "until the end" });
    expect(pool.size).toBe(0);
  });

  it("refuses a connection nobody listens on with the system's code", async () => {
    raw = await rawServer(() => undefined);
    const url = raw.url;
    await raw.close();
    raw = undefined;
    pool = new H1Pool(url, { timeoutMs: 5000 });
    const out = await send(pool);
    expect(out.error?.code).toBe("ECONNREFUSED");
    expect(out.error?.answered).toBe(false);
  });

  it("times out when nothing arrives, before or during the answer", async () => {
    raw = await rawServer((socket, n) => {
      if (n === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhal");
    });
    pool = new H1Pool(raw.url, { timeoutMs: 150 });
    const silent = await send(pool);
    expect(silent.error).toMatchObject({ code: "H1_TIMEOUT", answered: false });
    const stalled = await send(pool);
    expect(stalled.error).toMatchObject({ code: "H1_TIMEOUT", answered: true });
    expect(stalled.body).toBe("hal");
  });

  it("aborts on its signal, before sending or mid-answer, and closes that connection only", async () => {
    raw = await rawServer((socket, n) => {
      if (n === 0) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part");
      else socket.write(ok("fine"));
    });
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    const controller = new AbortController();
    const aborted = send(pool, {
      signal: controller.signal,
      onData: () => controller.abort(new Error("enough")),
    });
    expect((await aborted).error).toMatchObject({ code: "H1_ABORTED", answered: true });
    expect((await send(pool)).body).toBe("fine");
    const before = new AbortController();
    before.abort();
    expect((await send(pool, { signal: before.signal })).error?.code).toBe("H1_ABORTED");
    expect(raw.requests).toHaveLength(2);
  });

  it("one signal shared by many requests aborts all of them, and only once each", async () => {
    raw = await rawServer(() => undefined);
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    const p = pool;
    const controller = new AbortController();
    const outcomes = Array.from({ length: 50 }, () => send(p, { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const done = await Promise.all(outcomes);
    expect(done.every((o) => o.error?.code === "H1_ABORTED")).toBe(true);
    expect(pool.size).toBe(0);
  });

  it("drops a connection on which bytes arrive while no request waits", async () => {
    raw = await rawServer((socket, n) => {
      socket.write(ok(`answer ${n}`));
      if (n === 0) setTimeout(() => socket.write("unasked"), 20);
    });
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    expect((await send(pool)).body).toBe("answer 0");
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await send(pool)).body).toBe("answer 1");
    expect(raw.connections).toBe(2);
  });

  it("close() fails what is in flight and refuses what comes after", async () => {
    raw = await rawServer(() => undefined);
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    const waiting = send(pool);
    await new Promise((resolve) => setTimeout(resolve, 20));
    pool.close();
    expect((await waiting).error?.code).toBe("H1_CLOSED");
    expect((await send(pool)).error?.code).toBe("H1_CLOSED");
  });

  it("gives up connecting after connectTimeoutMs (a TLS handshake that never comes)", async () => {
    // A plain TCP server behind an https URL: the connection opens, the handshake never ends.
    raw = await rawServer(() => undefined);
    pool = new H1Pool(raw.url.replace("http:", "https:"), {
      timeoutMs: 5000,
      connectTimeoutMs: 150,
    });
    const out = await send(pool);
    expect(out.error).toMatchObject({ code: "H1_CONNECT_TIMEOUT", answered: false });
  });

  it("leaves no abort listener on a signal once its requests are over", async () => {
    raw = await rawServer((socket) => socket.write(ok("x")));
    pool = new H1Pool(raw.url, { timeoutMs: 5000 });
    const p = pool;
    const controller = new AbortController();
    await Promise.all(Array.from({ length: 5 }, () => send(p, { signal: controller.signal })));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("speaks TLS to an https origin, checking the certificate against the CA given", async (context) => {
    const dir = mkdtempSync(join(tmpdir(), "h1-tls-"));
    try {
      try {
        execFileSync(
          "openssl",
          [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            join(dir, "key.pem"),
            "-out",
            join(dir, "cert.pem"),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
          ],
          { stdio: "ignore" },
        );
      } catch {
        context.skip("openssl is not installed here: no certificate to serve TLS with");
      }
      const key = readFileSync(join(dir, "key.pem"), "utf8");
      const cert = readFileSync(join(dir, "cert.pem"), "utf8");
      raw = await rawServer(
        (socket, n) => socket.write(ok(`secure ${n}`)),
        (listener) => tls.createServer({ key, cert }, listener),
      );
      pool = new H1Pool(raw.url, { timeoutMs: 5000, ca: cert });
      expect(await send(pool)).toMatchObject({ status: 200, body: "secure 0" });
      expect(await send(pool)).toMatchObject({ status: 200, body: "secure 1" });
      expect(raw.connections).toBe(1);
      // Without the CA the certificate is refused, with the TLS library's own code.
      const untrusting = new H1Pool(raw.url, { timeoutMs: 5000 });
      const refused = await send(untrusting);
      untrusting.close();
      expect(refused.error?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
