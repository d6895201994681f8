import { describe, expect, it } from "vitest";
import type { RequestHandle } from "./h1.ts";
import { AnswerBody } from "./http.ts";

/** A request's controls that only record what the body asked of them. */
function recorder() {
  const calls: string[] = [];
  const handle: RequestHandle = {
    abort: () => calls.push("abort"),
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
  };
  return { calls, handle };
}

describe("AnswerBody", () => {
  it("queues copies of what comes before its reader, pausing the connection, then hands them on", async () => {
    const { calls, handle } = recorder();
    const body = new AnswerBody();
    body.attach(handle);
    const shared = Buffer.alloc(1);
    for (let i = 0; i < 200; i++) {
      shared[0] = i;
      // The connection reuses its read buffer: the body must keep copies.
      body.push(shared);
    }
    expect(calls).toEqual(["pause"]);
    const seen: number[] = [];
    const reading = body.each((chunk) => {
      seen.push(chunk[0] as number);
    });
    expect(calls).toEqual(["pause", "resume"]);
    body.push(Buffer.from([200]));
    body.end();
    await reading;
    expect(seen).toEqual(Array.from({ length: 201 }, (_, i) => i));
  });

  it("resolves as soon as its reader says the answer is whole, and bounds what follows", async () => {
    const { calls, handle } = recorder();
    const body = new AnswerBody();
    body.attach(handle);
    let reads = 0;
    const reading = body.each((chunk) => {
      reads += 1;
      return chunk.toString() === "[DONE]";
    });
    body.push(Buffer.from("event"));
    body.push(Buffer.from("[DONE]"));
    await reading;
    // The tail is read and dropped; past 64 KiB the connection is closed.
    body.push(Buffer.alloc(60_000));
    expect(calls).toEqual([]);
    body.push(Buffer.alloc(10_000));
    expect(calls).toEqual(["abort"]);
    expect(reads).toBe(2);
  });

  it("a reader that throws stops the answer and rejects with the reader's error", async () => {
    const { calls, handle } = recorder();
    const body = new AnswerBody();
    body.attach(handle);
    body.push(Buffer.from("queued"));
    await expect(
      body.each(() => {
        throw new Error("the reader failed");
      }),
    ).rejects.toThrow("the reader failed");
    expect(calls).toEqual(["abort"]);
  });

  it("rejects with the connection's failure, however late the reader comes", async () => {
    const body = new AnswerBody();
    body.attach(recorder().handle);
    body.fail(new Error("reset"));
    await expect(body.each(() => undefined)).rejects.toThrow("reset");
  });
});
