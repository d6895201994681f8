export type GgufMetadataEntry =
  | { key: string; type: "uint32" | "int32" | "float32"; value: number }
  | { key: string; type: "bool"; value: boolean }
  | { key: string; type: "string"; value: string }
  | { key: string; type: "string[]"; value: readonly string[] }
  | { key: string; type: "float32[]" | "int32[]"; value: ArrayLike<number> };

/** An F32 tensor; `dims` are in ggml order (ne0 first) and `data` holds their product of values. */
export interface GgufTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

export interface GgufContent {
  metadata: readonly GgufMetadataEntry[];
  tensors: readonly GgufTensor[];
}

export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

const VALUE_TYPE = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

const GGML_TYPE_F32 = 0;

const textEncoder = new TextEncoder();

class ByteWriter {
  #buffer = new Uint8Array(4096);
  #view = new DataView(this.#buffer.buffer);
  length = 0;

  #reserve(bytes: number): number {
    const start = this.length;
    const needed = start + bytes;
    if (needed > this.#buffer.length) {
      let capacity = this.#buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const next = new Uint8Array(capacity);
      next.set(this.#buffer.subarray(0, start));
      this.#buffer = next;
      this.#view = new DataView(next.buffer);
    }
    this.length = needed;
    return start;
  }

  u8(value: number): void {
    const offset = this.#reserve(1);
    this.#view.setUint8(offset, value);
  }

  u32(value: number): void {
    const offset = this.#reserve(4);
    this.#view.setUint32(offset, value, true);
  }

  i32(value: number): void {
    const offset = this.#reserve(4);
    this.#view.setInt32(offset, value, true);
  }

  u64(value: number): void {
    const offset = this.#reserve(8);
    this.#view.setBigUint64(offset, BigInt(value), true);
  }

  f32(value: number): void {
    const offset = this.#reserve(4);
    this.#view.setFloat32(offset, value, true);
  }

  bytes(value: Uint8Array): void {
    const offset = this.#reserve(value.length);
    this.#buffer.set(value, offset);
  }

  string(value: string): void {
    const encoded = textEncoder.encode(value);
    this.u64(encoded.length);
    this.bytes(encoded);
  }

  padTo(alignment: number): void {
    this.#reserve(alignTo(this.length, alignment) - this.length);
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.length);
  }
}

function alignTo(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

function checkInteger(key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`GGUF metadata "${key}": ${value} is not an integer in [${min}, ${max}]`);
  }
}

function checkFinite(key: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new RangeError(`GGUF metadata "${key}": ${value} is not a finite number`);
  }
}

function writeEntry(out: ByteWriter, entry: GgufMetadataEntry): void {
  const { key } = entry;
  out.string(key);
  switch (entry.type) {
    case "uint32":
      checkInteger(key, entry.value, 0, 0xffff_ffff);
      out.u32(VALUE_TYPE.uint32);
      out.u32(entry.value);
      return;
    case "int32":
      checkInteger(key, entry.value, -0x8000_0000, 0x7fff_ffff);
      out.u32(VALUE_TYPE.int32);
      out.i32(entry.value);
      return;
    case "float32":
      checkFinite(key, entry.value);
      out.u32(VALUE_TYPE.float32);
      out.f32(entry.value);
      return;
    case "bool":
      out.u32(VALUE_TYPE.bool);
      out.u8(entry.value ? 1 : 0);
      return;
    case "string":
      out.u32(VALUE_TYPE.string);
      out.string(entry.value);
      return;
    case "string[]":
      out.u32(VALUE_TYPE.array);
      out.u32(VALUE_TYPE.string);
      out.u64(entry.value.length);
      for (const item of entry.value) out.string(item);
      return;
    case "float32[]":
      out.u32(VALUE_TYPE.array);
      out.u32(VALUE_TYPE.float32);
      out.u64(entry.value.length);
      for (let i = 0; i < entry.value.length; i++) {
        const item = entry.value[i] as number;
        checkFinite(key, item);
        out.f32(item);
      }
      return;
    case "int32[]":
      out.u32(VALUE_TYPE.array);
      out.u32(VALUE_TYPE.int32);
      out.u64(entry.value.length);
      for (let i = 0; i < entry.value.length; i++) {
        const item = entry.value[i] as number;
        checkInteger(key, item, -0x8000_0000, 0x7fff_ffff);
        out.i32(item);
      }
      return;
  }
}

function alignmentOf(metadata: readonly GgufMetadataEntry[]): number {
  const entry = metadata.find((item) => item.key === "general.alignment");
  if (entry === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (entry.type !== "uint32" || entry.value <= 0 || entry.value % 8 !== 0) {
    throw new RangeError("GGUF metadata general.alignment must be a uint32 multiple of 8");
  }
  return entry.value;
}

function checkTensor(tensor: GgufTensor): void {
  if (tensor.dims.length === 0 || tensor.dims.length > 4) {
    throw new RangeError(`GGUF tensor "${tensor.name}": needs 1 to 4 dims`);
  }
  let elements = 1;
  for (const dim of tensor.dims) {
    if (!Number.isSafeInteger(dim) || dim <= 0) {
      throw new RangeError(`GGUF tensor "${tensor.name}": bad dim ${dim}`);
    }
    elements *= dim;
  }
  if (tensor.data.length !== elements) {
    throw new RangeError(
      `GGUF tensor "${tensor.name}": dims hold ${elements} values, data has ${tensor.data.length}`,
    );
  }
}

/** Serializes metadata and F32 tensors as a little-endian GGUF v3 file. */
export function encodeGguf({ metadata, tensors }: GgufContent): Uint8Array {
  const keys = new Set(metadata.map((entry) => entry.key));
  if (keys.size !== metadata.length) throw new Error("GGUF metadata keys must be unique");
  const names = new Set(tensors.map((tensor) => tensor.name));
  if (names.size !== tensors.length) throw new Error("GGUF tensor names must be unique");
  for (const tensor of tensors) checkTensor(tensor);
  const alignment = alignmentOf(metadata);

  const out = new ByteWriter();
  out.bytes(textEncoder.encode("GGUF"));
  out.u32(GGUF_VERSION);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const entry of metadata) writeEntry(out, entry);

  let dataOffset = 0;
  for (const tensor of tensors) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GGML_TYPE_F32);
    out.u64(dataOffset);
    dataOffset = alignTo(dataOffset + tensor.data.length * 4, alignment);
  }

  out.padTo(alignment);
  for (const tensor of tensors) {
    for (const value of tensor.data) out.f32(value);
    out.padTo(alignment);
  }
  return out.finish();
}
