// The parts of seek-bzip 2 (CommonJS, untyped) that bunzip.ts drives.
declare module "seek-bzip" {
  interface InputStream {
    readByte(): number;
    eof(): boolean;
  }
  interface OutputStream {
    writeByte(byte: number): void;
  }
  interface BitReader {
    read(bits: number): number;
  }
  class Stream {
    read(buffer: Uint8Array, offset: number, length: number): number;
  }
  class Bunzip {
    static Stream: typeof Stream;
    constructor(input: InputStream, output: OutputStream);
    reader: BitReader;
    streamCRC: number;
    _init_block(): boolean;
    _read_bunzip(): number;
    _start_bunzip(input: InputStream, output: OutputStream): void;
  }
  export = Bunzip;
}
