/**
 * A minimal OpenAI-compatible endpoint for load benchmarks, in its own process so that it does
 * not share the generator's CPU: POST /v1/completions answers JSON, or, with "stream": true,
 * `--events` server-sent events `--delay` ms apart, then [DONE]. Prints its port on stdout.
 *
 *   node bench/load-server.ts [--events 8] [--delay 0]
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { events: { type: "string", default: "8" }, delay: { type: "string", default: "0" } },
});
const events = Number(values.events);
const delay = Number(values.delay);
const plain = JSON.stringify({
  id: "cmpl-bench",
  choices: [{ index: 0, text: " tok".repeat(events), finish_reason: "length" }],
  usage: { prompt_tokens: 8, completion_tokens: events },
});
const event = (i: number) =>
  `data: {"choices":[{"index":0,"text":" tok${i}","finish_reason":${i === events - 1 ? '"length"' : "null"}}]}\n\n`;
const usage = `data: {"choices":[],"usage":{"prompt_tokens":8,"completion_tokens":${events}}}\n\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = createServer((req, res) => {
  if (req.url === "/v1/models") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"data":[{"id":"bench-model"}]}');
    return;
  }
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", async () => {
    if (!body.includes('"stream":true')) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(plain);
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (let i = 0; i < events; i++) {
      if (delay > 0) await sleep(delay);
      res.write(event(i));
    }
    res.end(`${usage}data: [DONE]\n\n`);
  });
});
server.keepAliveTimeout = 120_000;
server.maxConnections = 50_000;
// A deep accept queue: thousands of virtual users connect at once.
server.listen({ port: 0, host: "127.0.0.1", backlog: 65_535 }, () => {
  console.log((server.address() as AddressInfo).port);
});
