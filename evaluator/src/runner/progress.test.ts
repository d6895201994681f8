import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.ts";

function sink() {
  const lines: string[] = [];
  const stream = {
    isTTY: false,
    write: (s: string) => lines.push(s) > 0,
  } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

describe("progress", () => {
  it("counts resumed items as done but not towards the rate or the eta", () => {
    const { stream, lines } = sink();
    const progress = createProgress(stream, 0);
    progress.start(20, "m on s", 10);
    progress.tick(10);
    expect(lines).toEqual([
      "m on s: 10/20 (10 resumed)\n",
      "m on s: 10/20 (10 resumed) 0.0 items/s eta ?\n",
    ]);
  });

  it("prints plain lines without a terminal, at most one per interval, and the last one always", () => {
    const { stream, lines } = sink();
    const progress = createProgress(stream, 60_000);
    progress.start(3, "m on s");
    progress.tick(1);
    progress.tick(2);
    progress.tick(3, "(done)");
    progress.finish("wrote x.json");
    expect(lines.map((l) => l.replace(/\d+\.\d items\/s eta \S+/, "R"))).toEqual([
      "m on s: 0/3\n",
      "m on s: 3/3 R (done)\n",
      "wrote x.json\n",
    ]);
  });
});
