import Bunzip from "seek-bzip";

/** Thrown when the output would pass the limit; decoding stops there. */
export class OutputTooLarge extends Error {}

/** Thrown when the input ends inside a stream. */
export class InputTruncated extends Error {}

/**
 * The bytes of bzip2 `input` (one stream or several concatenated, as pbzip2 writes), at most
 * `maxBytes` of them: decoding stops as soon as one more byte would pass the limit, so a bomb is
 * never inflated. Throws OutputTooLarge, InputTruncated, or seek-bzip's TypeError for bad data.
 */
export function bunzip(input: Uint8Array, maxBytes: number): Buffer {
  let position = 0;
  const source = Object.assign(new Bunzip.Stream(), {
    readByte(): number {
      if (position >= input.length) throw new InputTruncated();
      return input[position++] as number;
    },
    eof: () => position >= input.length,
  });
  let out = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(1 << 16, input.length * 4)));
  let length = 0;
  const sink = {
    writeByte(byte: number): void {
      if (length === out.length) {
        if (length >= maxBytes) throw new OutputTooLarge();
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes, out.length * 2));
        out.copy(bigger, 0, 0, length);
        out = bigger;
      }
      out[length++] = byte;
    },
  };
  // seek-bzip's own `decode` stops at the end of the input without reading the stream's
  // trailer, so a file cut at a block boundary would pass: this loop checks every trailer.
  const decoder = new Bunzip(source, sink);
  for (;;) {
    if (decoder._init_block()) {
      decoder._read_bunzip();
      continue;
    }
    const crc = decoder.reader.read(32) >>> 0;
    if (crc !== decoder.streamCRC >>> 0) throw new TypeError("Data error: bad stream CRC");
    if (source.eof()) break;
    decoder._start_bunzip(source, sink);
  }
  return out.subarray(0, length);
}
