import net from "node:net";
import tls from "node:tls";

/**
 * A lean HTTP/1.1 client for the `openai` backend and `bench load`: keep-alive connections, one
 * request in flight per connection (no pipelining), each request written in one `write`, and the
 * answer parsed as its bytes arrive and handed to synchronous callbacks. A load generator spends
 * its time per request and per event, so it cannot afford a general client's layers (undici's
 * reached 0.6× autocannon's rate on the same endpoint; ADR 0009).
 *
 * Every answer is hostile: the head is bounded, lengths and chunk sizes are checked, a
 * `Transfer-Encoding` other than chunked is refused, and a connection whose answer was not read to
 * its exact end is never reused. Errors carry a `code`: a system error's own (ECONNREFUSED,
 * ECONNRESET, …), or one of `H1_TIMEOUT`, `H1_CONNECT_TIMEOUT`, `H1_CLOSED`, `H1_PROTOCOL`,
 * `H1_ABORTED`.
 */

/** The most bytes of a response head (status line and headers): undici's and Node's 16 KiB ×4. */
export const maxHeadBytes = 64 * 1024;
/** The most bytes of a chunk-size line or of the trailers after the last chunk. */
const maxChunkLineBytes = 1024;
const maxTrailerBytes = 16 * 1024;
/** An idle connection is dropped after this long, or the server's keep-alive timeout less 1 s. */
const defaultKeepAliveMs = 4000;

export type H1ErrorCode =
  | "H1_TIMEOUT"
  | "H1_CONNECT_TIMEOUT"
  | "H1_CLOSED"
  | "H1_PROTOCOL"
  | "H1_ABORTED";

export class H1Error extends Error {
  readonly code: H1ErrorCode | string;
  /** Whether any byte of the answer had arrived when it failed. */
  readonly answered: boolean;
  constructor(code: H1ErrorCode | string, message: string, answered: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "H1Error";
    this.code = code;
    this.answered = answered;
  }
}

/** What a request's answer is handed to, synchronously, as its bytes arrive. */
export interface ResponseHandler {
  /** The status and headers (names lower-cased; repeated headers joined with ", "). */
  onHead(status: number, headers: ReadonlyMap<string, string>): void;
  /**
   * A piece of the body (chunked framing removed; the chunks of one read come as one piece). It
   * may be a view of a buffer the next read overwrites: copy what is kept past the call.
   */
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** The request failed; nothing more is called. */
  onError(error: H1Error): void;
}

export interface H1Request {
  method: "GET" | "POST";
  /** The request target, starting with "/". */
  path: string;
  /** Header lines, each "name: value\r\n" (see `headerLines`). */
  headers: string;
  body?: string;
}

/** Header lines for `H1Request.headers`: a value holding CR, LF or NUL is refused, never sent. */
export function headerLines(headers: Record<string, string>): string {
  let out = "";
  for (const [name, value] of Object.entries(headers)) {
    if (!isToken(name) || /[\r\n\0]/.test(value)) {
      throw new H1Error(
        "H1_PROTOCOL",
        `the header ${JSON.stringify(name.slice(0, 40))} holds a character HTTP does not allow (a line break?)`,
        false,
      );
    }
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

/** Where a connection's parser is. */
const State = {
  Idle: 0,
  Head: 1,
  Length: 2,
  ChunkSize: 3,
  ChunkData: 4,
  ChunkEnd: 5,
  Trailers: 6,
  UntilClose: 7,
} as const;
type State = (typeof State)[keyof typeof State];

const CRLF2 = Buffer.from("\r\n\r\n");

/** The characters of a header name (RFC 9110 token), by char code. */
const tchar = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  tchar[c.charCodeAt(0)] = 1;
}
const isToken = (name: string) =>
  name !== "" && [...name].every((c) => tchar[c.charCodeAt(0)] === 1);

/** A response head, parsed. */
export interface Head {
  status: number;
  /** Names lower-cased; repeated headers joined with ", ". Shared between answers: read only. */
  headers: ReadonlyMap<string, string>;
  /** How the body ends: after `length` bytes, at the last chunk, or when the server closes. */
  framing: "length" | "chunked" | "close";
  length: number;
  /** Whether the connection may carry another request. */
  reusable: boolean;
  /** The server's keep-alive timeout less 1 s (at most 4 s), where it says one. */
  keepAliveMs?: number;
}

/**
 * Parses a response head (status line and header lines, without the blank line that ends it).
 * Throws H1_PROTOCOL for anything that is not an HTTP/1.x head this client can read: a malformed
 * status or header line, a Transfer-Encoding other than chunked, an invalid or conflicting
 * Content-Length, or 101 Switching Protocols.
 */
export function parseHead(text: string): Head {
  // The status line: HTTP/1.x, a space, three digits, then a reason phrase or nothing.
  const v = text.charCodeAt(7);
  const d0 = text.charCodeAt(9) - 48;
  const d1 = text.charCodeAt(10) - 48;
  const d2 = text.charCodeAt(11) - 48;
  const after = text.charCodeAt(12);
  if (
    !text.startsWith("HTTP/1.") ||
    (v !== 48 && v !== 49) ||
    text.charCodeAt(8) !== 32 ||
    !(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) ||
    !(after === 32 || after === 13 || Number.isNaN(after))
  ) {
    const first = text.slice(0, Math.max(0, text.indexOf("\r\n")) || 60);
    throw new H1Error(
      "H1_PROTOCOL",
      `the server did not answer in HTTP/1.1 (its first line: ${JSON.stringify(first.slice(0, 60))})`,
      true,
    );
  }
  const code = d0 * 100 + d1 * 10 + d2;
  const statusEnd = text.indexOf("\r\n");
  if (/[\0\r\n]/.test(text.slice(0, statusEnd < 0 ? text.length : statusEnd))) {
    throw new H1Error(
      "H1_PROTOCOL",
      "the server's status line holds a bare line break or NUL",
      true,
    );
  }
  const headers = new Map<string, string>();
  let at = statusEnd;
  while (at >= 0) {
    const start = at + 2;
    let end = text.indexOf("\r\n", start);
    if (end < 0) end = text.length;
    let colon = start;
    while (colon < end) {
      const c = text.charCodeAt(colon);
      if (c === 58 || c > 127 || tchar[c] === 0) break;
      colon++;
    }
    if (colon === start || text.charCodeAt(colon) !== 58 || colon >= end) {
      throw new H1Error(
        "H1_PROTOCOL",
        `the server sent a malformed header line: ${JSON.stringify(text.slice(start, Math.min(end, start + 60)))}`,
        true,
      );
    }
    let from = colon + 1;
    let to = end;
    while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
    while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
    const name = text.slice(start, colon).toLowerCase();
    const value = text.slice(from, to);
    if (/[\0\r\n]/.test(value)) {
      throw new H1Error(
        "H1_PROTOCOL",
        `the server sent a header ${JSON.stringify(name.slice(0, 40))} whose value holds a line break or NUL`,
        true,
      );
    }
    const seen = headers.get(name);
    headers.set(name, seen === undefined ? value : `${seen}, ${value}`);
    at = end < text.length ? end : -1;
  }
  if (code < 200) {
    if (code === 101) {
      throw new H1Error("H1_PROTOCOL", "the server switched protocols (HTTP 101)", true);
    }
    return { status: code, headers, framing: "length", length: 0, reusable: true };
  }
  const connection = headers.get("connection");
  let reusable =
    v === 49 && (connection === undefined || !/(?:^|,)\s*close\s*(?:,|$)/i.test(connection));
  const keepAlive = /(?:^|,)\s*timeout=(\d{1,6})/i.exec(headers.get("keep-alive") ?? "");
  const keepAliveMs = keepAlive
    ? Math.max(0, Math.min(defaultKeepAliveMs, Number(keepAlive[1]) * 1000 - 1000))
    : undefined;
  const te = headers.get("transfer-encoding");
  const cl = headers.get("content-length");
  let framing: Head["framing"];
  let length = 0;
  if (code === 204 || code === 304) {
    // No body, whatever the framing headers say (RFC 9112 §6.3 item 1).
    framing = "length";
  } else if (te !== undefined) {
    if (te.trim().toLowerCase() !== "chunked") {
      throw new H1Error(
        "H1_PROTOCOL",
        `the server sent Transfer-Encoding ${JSON.stringify(te.slice(0, 40))} (only chunked is read)`,
        true,
      );
    }
    // Both framings: the chunked one wins and the connection is not reused (RFC 9112 §6.3).
    if (cl !== undefined) reusable = false;
    framing = "chunked";
  } else if (cl !== undefined) {
    const values = cl.split(",").map((value) => value.trim());
    if (!values.every((value) => /^\d{1,15}$/.test(value) && value === values[0])) {
      throw new H1Error(
        "H1_PROTOCOL",
        `the server sent an invalid Content-Length ${JSON.stringify(cl.slice(0, 40))}`,
        true,
      );
    }
    framing = "length";
    length = Number(values[0]);
  } else {
    framing = "close";
    reusable = false;
  }
  return {
    status: code,
    headers,
    framing,
    length,
    reusable,
    ...(keepAliveMs === undefined ? {} : { keepAliveMs }),
  };
}

/** What a `ResponseParser` hands on, synchronously, as an answer's bytes arrive. */
export interface ParserSink {
  onHead(head: Head): void;
  /**
   * A piece of the body, valid during the call: a view of the bytes fed, or (the data of several
   * chunks that came in one `feed`) a copy of them joined.
   */
  onData(chunk: Buffer): void;
  /** The answer ended; `rest` holds the bytes fed after it (a view, valid during the call). */
  onComplete(rest: Buffer): void;
}

/**
 * Reads one HTTP/1.1 answer at a time from bytes fed in pieces of any size: its head (1xx heads
 * skipped), then a body framed by Content-Length, chunked encoding (extensions and trailers
 * allowed and ignored) or the connection's close. Throws H1_PROTOCOL at the first byte that breaks
 * the framing or a bound. After a sink callback that calls `reset`, it stops at once.
 */
export class ResponseParser {
  #state: State = State.Idle;
  /** Bytes of a head, a chunk-size line, a chunk's CRLF or trailers not yet complete (a copy). */
  #pending: Buffer | undefined;
  #remaining = 0;
  readonly #parseHead: (text: string) => Head;
  readonly #sink: ParserSink;
  /**
   * The chunks' data read in this `feed`, as ranges of one buffer (bytes kept from an earlier
   * feed are joined to the new ones before any chunk data is read): handed on once, at the end of
   * the call or before the answer completes, so that an answer of many small chunks that came in
   * one read costs one `onData`, not one per chunk (a streamed answer is a chunk per token).
   */
  #spanSource: Buffer | undefined;
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  #spanBytes = 0;

  constructor(sink: ParserSink, parse: (text: string) => Head = parseHead) {
    this.#sink = sink;
    this.#parseHead = parse;
  }

  /** Whether an answer is being read. */
  get busy(): boolean {
    return this.#state !== State.Idle;
  }

  /** Waits for the next answer's head. */
  expect(): void {
    this.#state = State.Head;
    this.#pending = undefined;
    this.#remaining = 0;
    this.#drop();
  }

  /** Reads nothing more (the answer was given up). */
  reset(): void {
    this.#state = State.Idle;
    this.#pending = undefined;
    this.#drop();
  }

  /**
   * The connection closed: true when that ends the answer (a body read until close), which is
   * then completed; false when the answer is cut short.
   */
  closed(): boolean {
    if (this.#state !== State.UntilClose) return false;
    this.#state = State.Idle;
    this.#sink.onComplete(empty);
    return true;
  }

  /** Keeps buf[start…] past this call: a view when `buf` is a concat (a copy), else a copy. */
  #keep(buf: Buffer, data: Buffer, start: number): void {
    this.#pending = buf === data ? Buffer.from(buf.subarray(start)) : buf.subarray(start);
  }

  /** Whether a sink callback gave the answer up (`reset`). */
  #stopped(): boolean {
    return this.#state === State.Idle;
  }

  #complete(buf: Buffer, at: number): void {
    this.#flush();
    if (this.#stopped()) return;
    this.#state = State.Idle;
    this.#pending = undefined;
    this.#sink.onComplete(at >= buf.length ? empty : buf.subarray(at));
  }

  #drop(): void {
    if (this.#spanSource === undefined) return;
    this.#spanSource = undefined;
    this.#starts.length = 0;
    this.#ends.length = 0;
    this.#spanBytes = 0;
  }

  /** Hands the chunk data gathered so far to the sink, as one piece. */
  #flush(): void {
    const source = this.#spanSource;
    if (source === undefined) return;
    const n = this.#starts.length;
    let piece: Buffer;
    if (n === 1) {
      piece = source.subarray(this.#starts[0], this.#ends[0]);
    } else {
      piece = Buffer.allocUnsafe(this.#spanBytes);
      let at = 0;
      for (let k = 0; k < n; k++) at += source.copy(piece, at, this.#starts[k], this.#ends[k]);
    }
    this.#drop();
    this.#sink.onData(piece);
  }

  feed(input: Buffer): void {
    try {
      this.#read(input);
    } finally {
      // The data read before a refusal is handed on too; after a `reset`, nothing is left.
      this.#flush();
    }
  }

  #read(input: Buffer): void {
    let data = input;
    let at = 0;
    for (;;) {
      switch (this.#state) {
        case State.Head: {
          const pending = this.#pending;
          const buf = pending ? Buffer.concat([pending, data.subarray(at)]) : data;
          const start = pending ? 0 : at;
          const from = pending ? Math.max(0, pending.length - 3) : at;
          const end = buf.indexOf(CRLF2, from);
          if (end < 0 ? buf.length - start > maxHeadBytes : end - start > maxHeadBytes) {
            throw new H1Error(
              "H1_PROTOCOL",
              `the response head is over ${maxHeadBytes} bytes`,
              true,
            );
          }
          if (end < 0) {
            this.#keep(buf, data, start);
            return;
          }
          this.#pending = undefined;
          const head = this.#parseHead(buf.toString("latin1", start, end));
          data = buf;
          at = end + 4;
          // 1xx: another head follows.
          if (head.status < 200) continue;
          if (head.framing === "chunked") this.#state = State.ChunkSize;
          else if (head.framing === "close") this.#state = State.UntilClose;
          else {
            this.#state = State.Length;
            this.#remaining = head.length;
          }
          this.#sink.onHead(head);
          if (this.#stopped()) return;
          if (this.#state === State.Length && this.#remaining === 0) {
            this.#complete(data, at);
            return;
          }
          if (at >= data.length) return;
          break;
        }
        case State.Length: {
          const left = data.length - at;
          if (left === 0) return;
          if (left < this.#remaining) {
            this.#remaining -= left;
            this.#sink.onData(at === 0 ? data : data.subarray(at));
            return;
          }
          const end = at + this.#remaining;
          this.#remaining = 0;
          this.#sink.onData(data.subarray(at, end));
          if (this.#stopped()) return;
          this.#complete(data, end);
          return;
        }
        case State.ChunkSize: {
          const n = data.length;
          if (!this.#pending) {
            // The usual line, whole in this read: hex digits, then CRLF.
            let j = at;
            let size = 0;
            while (j < n && j - at <= 12) {
              const digit = hexDigit(data[j] as number);
              if (digit < 0) break;
              size = size * 16 + digit;
              j++;
            }
            if (j > at && j - at <= 12 && j + 1 < n && data[j] === 13 && data[j + 1] === 10) {
              at = j + 2;
              this.#state = size === 0 ? State.Trailers : State.ChunkData;
              this.#remaining = size;
              if (at >= n) return;
              break;
            }
          }
          const pending = this.#pending;
          const buf = pending ? Buffer.concat([pending, data.subarray(at)]) : data;
          const start = pending ? 0 : at;
          const eol = buf.indexOf(10, start);
          if (eol < 0 ? buf.length - start > maxChunkLineBytes : eol - start > maxChunkLineBytes) {
            throw new H1Error("H1_PROTOCOL", "a chunk-size line is over 1,024 bytes", true);
          }
          if (eol < 0) {
            this.#keep(buf, data, start);
            return;
          }
          this.#pending = undefined;
          if (eol === start || buf[eol - 1] !== 13) {
            throw new H1Error("H1_PROTOCOL", "a chunk-size line does not end in CRLF", true);
          }
          const line = buf.toString("latin1", start, eol - 1);
          const semicolon = line.indexOf(";");
          const hex = semicolon < 0 ? line : line.slice(0, semicolon).trimEnd();
          if (!/^[0-9A-Fa-f]{1,12}$/.test(hex)) {
            throw new H1Error(
              "H1_PROTOCOL",
              `a chunk size is not hexadecimal: ${JSON.stringify(line.slice(0, 40))}`,
              true,
            );
          }
          const size = Number.parseInt(hex, 16);
          data = buf;
          at = eol + 1;
          this.#state = size === 0 ? State.Trailers : State.ChunkData;
          this.#remaining = size;
          if (at >= data.length) return;
          break;
        }
        case State.ChunkData: {
          const n = data.length;
          if (at >= n) return;
          const take = Math.min(n - at, this.#remaining);
          this.#spanSource = data;
          this.#starts.push(at);
          this.#ends.push(at + take);
          this.#spanBytes += take;
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = State.ChunkEnd;
          if (at >= n) return;
          break;
        }
        case State.ChunkEnd: {
          // The CRLF after a chunk's data, which may arrive split.
          const pending = this.#pending;
          if (!pending && at + 1 < data.length && data[at] === 13 && data[at + 1] === 10) {
            at += 2;
            this.#state = State.ChunkSize;
            if (at >= data.length) return;
            break;
          }
          const buf = pending ? Buffer.concat([pending, data.subarray(at)]) : data;
          const start = pending ? 0 : at;
          if (buf.length === start) return;
          if (buf[start] !== 13 || (buf.length > start + 1 && buf[start + 1] !== 10)) {
            throw new H1Error("H1_PROTOCOL", "a chunk's data is not followed by CRLF", true);
          }
          if (buf.length < start + 2) {
            this.#keep(buf, data, start);
            return;
          }
          this.#pending = undefined;
          data = buf;
          at = start + 2;
          this.#state = State.ChunkSize;
          if (at >= data.length) return;
          break;
        }
        case State.Trailers: {
          // Trailer lines after the last chunk, up to an empty line.
          const pending = this.#pending;
          const buf = pending ? Buffer.concat([pending, data.subarray(at)]) : data;
          const start = pending ? 0 : at;
          if (buf.length >= start + 2 && buf[start] === 13 && buf[start + 1] === 10) {
            this.#complete(buf, start + 2);
            return;
          }
          const end = buf.indexOf(CRLF2, start);
          if (end < 0 ? buf.length - start > maxTrailerBytes : end - start > maxTrailerBytes) {
            throw new H1Error("H1_PROTOCOL", "the trailers are over 16 KiB", true);
          }
          if (end < 0) {
            this.#keep(buf, data, start);
            return;
          }
          this.#complete(buf, end + 4);
          return;
        }
        case State.UntilClose: {
          if (at < data.length) this.#sink.onData(at === 0 ? data : data.subarray(at));
          return;
        }
        default:
          // Idle: bytes with no answer expected are the caller's to refuse.
          return;
      }
    }
  }
}

/** A hex digit's value, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

const empty = Buffer.alloc(0);

class Connection {
  readonly socket: net.Socket;
  readonly pool: H1Pool;
  readonly parser: ResponseParser;
  handler: ResponseHandler | undefined;
  reusable = true;
  answered = false;
  idleSince = 0;
  /** Whether it waits in the pool's idle list. */
  idle = false;
  keepAliveMs = defaultKeepAliveMs;
  /** The signal that aborts the request in flight (watched by the pool). */
  signal: AbortSignal | undefined;
  /** The request in flight as written, and its controls: kept to send it again (`#resend`). */
  request: string | undefined;
  handle: Handle | undefined;
  /** Answers completed on this connection. */
  served = 0;

  constructor(pool: H1Pool, connect: (onread: net.OnReadOpts) => net.Socket, tls: boolean) {
    this.pool = pool;
    this.parser = new ResponseParser(
      {
        onHead: (head) => {
          this.reusable = head.reusable;
          if (head.keepAliveMs !== undefined) this.keepAliveMs = head.keepAliveMs;
          this.handler?.onHead(head.status, head.headers);
        },
        onData: (chunk) => this.handler?.onData(chunk),
        onComplete: (rest) => this.#complete(rest),
      },
      (text) => pool.parseHead(text),
    );
    // Plain TCP: reads land in the pool's one buffer and come straight to the parser, past the
    // socket's stream machinery; nothing keeps a view of that buffer beyond the call.
    // TLS reads come as 'data' events.
    const socket = connect({
      buffer: pool.readBuffer,
      callback: (bytes: number, buffer: Uint8Array) => {
        this.#data(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
        return true;
      },
    });
    if (tls) socket.on("data", (data: Buffer) => this.#data(data));
    this.socket = socket;
    // Connecting (and the TLS handshake) has its own, shorter limit: a host that drops packets
    // fails in seconds, as a refused connection would, and may be retried.
    const connectTimer = setTimeout(() => {
      this.fail(
        new H1Error(
          "H1_CONNECT_TIMEOUT",
          `no connection within ${pool.connectTimeoutMs} ms`,
          false,
        ),
      );
    }, pool.connectTimeoutMs);
    socket.once(tls ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
    socket.once("close", () => clearTimeout(connectTimer));
    socket.on("end", () => this.#closed());
    socket.on("close", () => this.#closed());
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (this.#resend()) return;
      this.fail(
        new H1Error(error.code ?? "H1_CLOSED", error.code ?? error.message, this.answered, error),
      );
    });
    socket.on("timeout", () => {
      if (this.handler) {
        this.fail(
          new H1Error("H1_TIMEOUT", `nothing arrived for ${pool.timeoutMs} ms`, this.answered),
        );
      } else this.destroy();
    });
    socket.setTimeout(pool.timeoutMs);
  }

  start(
    request: string,
    handler: ResponseHandler,
    signal: AbortSignal | undefined,
    handle: Handle,
  ): void {
    this.handler = handler;
    this.request = request;
    this.handle = handle;
    handle.connection = this;
    // An idle connection does not keep the process alive; a busy one does.
    if (this.idleSince > 0) this.socket.ref();
    this.answered = false;
    this.parser.expect();
    if (signal) {
      this.signal = signal;
      this.pool.watch(signal, this);
    }
    // A string is encoded straight into the socket's write: no Buffer to allocate.
    this.socket.write(request, "utf8");
  }

  #data(data: Buffer): void {
    if (!this.handler) {
      // Bytes nobody asked for: the connection cannot be trusted again.
      this.destroy();
      return;
    }
    this.answered = true;
    try {
      this.parser.feed(data);
    } catch (error) {
      this.fail(
        error instanceof H1Error
          ? error
          : new H1Error("H1_PROTOCOL", String((error as Error).message), true, error),
      );
    }
  }

  #complete(rest: Buffer): void {
    const handler = this.handler;
    // Failed already (a handler aborted it): nothing to complete.
    if (!handler) return;
    this.served += 1;
    this.#detach();
    // Bytes beyond the answer: the server is not speaking one answer per request.
    // (A keep-alive timeout of 1 s leaves none to reuse it in.)
    if (rest.length > 0 || !this.reusable || this.keepAliveMs <= 0) this.destroy();
    else this.pool.release(this);
    // The connection may already serve the next request: a handler's throw must not fail that one.
    try {
      handler.onEnd();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #closed(): void {
    if (this.handler && this.parser.closed()) {
      this.destroy();
      return;
    }
    if (this.#resend()) return;
    if (this.handler) {
      this.fail(
        new H1Error(
          "H1_CLOSED",
          this.answered
            ? "the server closed the connection mid-answer"
            : "the server closed the connection without answering",
          this.answered,
        ),
      );
      return;
    }
    this.destroy();
  }

  #detach(): void {
    if (this.signal) this.pool.unwatch(this.signal, this);
    this.signal = undefined;
    this.handler = undefined;
    this.request = undefined;
    this.handle = undefined;
  }

  /**
   * A kept-alive connection the server closed (or reset) while the request in flight had no byte
   * of answer: the server had closed it before reading that request, as llama-server does after
   * each streamed answer while its head says keep-alive. The request goes once more, on a new
   * connection, as Chromium resends on a reused socket (ShouldResendRequest). True when it went.
   */
  #resend(): boolean {
    const { handler, request, signal, handle } = this;
    // `start` sets the request and its handle with the handler, and `#detach` clears all three.
    if (!handler || request === undefined || !handle || this.answered || this.served === 0) {
      return false;
    }
    this.#detach();
    this.destroy();
    this.pool.resend(request, handler, signal, handle);
    return true;
  }

  /** Fails the request in flight, if any, and closes the connection. */
  fail(error: H1Error): void {
    const handler = this.handler;
    this.#detach();
    this.destroy();
    handler?.onError(error);
  }

  destroy(): void {
    this.parser.reset();
    this.pool.forget(this);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** What `H1Pool.request` returns: a request's controls, which do nothing once it has ended. */
export interface RequestHandle {
  abort(reason?: unknown): void;
  pause(): void;
  resume(): void;
}

const noHandle: RequestHandle = { abort() {}, pause() {}, resume() {} };

/** A request's controls: they act only while its connection still serves it. */
class Handle implements RequestHandle {
  /** The connection that serves the request (another one after a resend). */
  connection: Connection;
  constructor(connection: Connection) {
    this.connection = connection;
  }
  abort(reason?: unknown): void {
    const c = this.connection;
    if (c.handle === this) {
      c.fail(new H1Error("H1_ABORTED", "the request was aborted", c.answered, reason));
    }
  }
  pause(): void {
    if (this.connection.handle === this) this.connection.socket.pause();
  }
  resume(): void {
    if (this.connection.handle === this) this.connection.socket.resume();
  }
}

/** Keep-alive connections to one origin: as many as requests in flight, idle ones reused. */
export class H1Pool {
  readonly timeoutMs: number;
  readonly #host: string;
  readonly #port: number;
  readonly #tls: boolean;
  readonly #hostHeader: string;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  /**
   * The connections each signal would abort, with one listener per signal: thousands of requests
   * share a load run's signal, and a listener each would make every removal walk all the others.
   */
  readonly #watched = new WeakMap<
    AbortSignal,
    { connections: Set<Connection>; listener: () => void }
  >();
  /**
   * The last head parsed and its text: a server sends the same head answer after answer (its
   * Date changes once a second), so most heads are a string comparison.
   */
  #lastHeadText = "";
  #lastHead: Head | undefined;
  /** Every connection's reads land here, one at a time, and are parsed before the next. */
  readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  #closed = false;

  readonly #ca: string | undefined;
  readonly connectTimeoutMs: number;

  /**
   * `timeoutMs`: a request fails when nothing arrives for this long. `connectTimeoutMs`: the limit
   * on connecting and the TLS handshake (default 10 s, never above `timeoutMs`). `ca`:
   * certificates (PEM) to trust for https instead of Node's (a private CA; NODE_EXTRA_CA_CERTS
   * adds to Node's).
   */
  constructor(
    origin: string,
    options: { timeoutMs: number; ca?: string; connectTimeoutMs?: number },
  ) {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`not an http(s) origin: ${origin}`);
    }
    this.#tls = url.protocol === "https:";
    this.#host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    this.#port = Number(url.port || (this.#tls ? 443 : 80));
    this.#hostHeader = url.host;
    this.timeoutMs = options.timeoutMs;
    this.connectTimeoutMs = Math.min(options.connectTimeoutMs ?? 10_000, options.timeoutMs);
    this.#ca = options.ca;
  }

  /**
   * Sends `request`; its answer goes to `handler`. `signal`, or the handle's `abort`, stops it (the
   * connection closes); `pause` and `resume` hold the answer's bytes back while a reader is busy.
   */
  request(request: H1Request, handler: ResponseHandler, signal?: AbortSignal): RequestHandle {
    if (this.#refused(handler, signal)) return noHandle;
    const body = request.body ?? "";
    const head = `${request.method} ${request.path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n${request.headers}${
      request.method === "POST" || body !== ""
        ? `content-length: ${Buffer.byteLength(body)}\r\n`
        : ""
    }\r\n`;
    const connection = this.#connection();
    const handle = new Handle(connection);
    connection.start(head + body, handler, signal, handle);
    return handle;
  }

  /** Sends `request` again, on a new connection (see Connection's `#resend`). */
  resend(
    request: string,
    handler: ResponseHandler,
    signal: AbortSignal | undefined,
    handle: Handle,
  ) {
    if (!this.#refused(handler, signal)) this.#fresh().start(request, handler, signal, handle);
  }

  /** A closed pool or an aborted signal: the handler is told, and true. */
  #refused(handler: ResponseHandler, signal: AbortSignal | undefined): boolean {
    if (this.#closed) {
      handler.onError(new H1Error("H1_CLOSED", "the client is closed", false));
      return true;
    }
    if (signal?.aborted) {
      handler.onError(new H1Error("H1_ABORTED", "the request was aborted", false, signal.reason));
      return true;
    }
    return false;
  }

  #connection(): Connection {
    const now = performance.now();
    for (;;) {
      const idle = this.#idle.pop();
      if (!idle) break;
      idle.idle = false;
      if (!idle.socket.destroyed && now - idle.idleSince < idle.keepAliveMs) return idle;
      idle.destroy();
    }
    return this.#fresh();
  }

  #fresh(): Connection {
    const connection = new Connection(
      this,
      (onread) => {
        const socket = this.#tls
          ? tls.connect({
              host: this.#host,
              port: this.#port,
              ...(net.isIP(this.#host) ? {} : { servername: this.#host }),
              ALPNProtocols: ["http/1.1"],
              ...(this.#ca === undefined ? {} : { ca: this.#ca }),
            })
          : net.connect({ host: this.#host, port: this.#port, onread });
        socket.setNoDelay(true);
        return socket;
      },
      this.#tls,
    );
    this.#all.add(connection);
    return connection;
  }

  parseHead(text: string): Head {
    if (text === this.#lastHeadText && this.#lastHead) return this.#lastHead;
    const head = parseHead(text);
    this.#lastHeadText = text;
    this.#lastHead = head;
    return head;
  }

  watch(signal: AbortSignal, connection: Connection): void {
    let entry = this.#watched.get(signal);
    if (!entry) {
      const connections = new Set<Connection>();
      const listener = () => {
        this.#watched.delete(signal);
        for (const c of [...connections]) {
          c.fail(new H1Error("H1_ABORTED", "the request was aborted", c.answered, signal.reason));
        }
      };
      entry = { connections, listener };
      this.#watched.set(signal, entry);
      signal.addEventListener("abort", listener, { once: true });
    }
    entry.connections.add(connection);
  }

  /** The last request a signal watched has ended: its listener goes, so nothing pins the signal. */
  unwatch(signal: AbortSignal, connection: Connection): void {
    const entry = this.#watched.get(signal);
    if (!entry) return;
    entry.connections.delete(connection);
    if (entry.connections.size === 0) {
      signal.removeEventListener("abort", entry.listener);
      this.#watched.delete(signal);
    }
  }

  release(connection: Connection): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    connection.idleSince = performance.now();
    connection.idle = true;
    connection.socket.unref();
    if (connection.socket.isPaused()) connection.socket.resume();
    this.#idle.push(connection);
  }

  forget(connection: Connection): void {
    this.#all.delete(connection);
    if (!connection.idle) return;
    connection.idle = false;
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
  }

  /** Open connections (idle or busy). */
  get size(): number {
    return this.#all.size;
  }

  /** Closes every connection; requests in flight fail with H1_CLOSED. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#idle) connection.idle = false;
    this.#idle.length = 0;
    for (const connection of [...this.#all]) {
      connection.fail(new H1Error("H1_CLOSED", "the client was closed", connection.answered));
    }
  }
}
