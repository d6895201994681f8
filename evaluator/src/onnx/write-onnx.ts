/**
 * A writer for the part of ONNX's protobuf format (onnx/onnx.proto, IR version 8) that a small
 * hand-built graph needs: a model with opset imports and metadata, a graph of nodes with int and
 * ints attributes, float and int64 initializers, and typed inputs and outputs with symbolic or
 * fixed dimensions. Field numbers are onnx.proto's; the encoding is protobuf's wire format.
 */

/** onnx.proto's TensorProto.DataType values used here. */
export const OnnxType = { float: 1, int64: 7 } as const;
export type OnnxElementType = (typeof OnnxType)[keyof typeof OnnxType];

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  type: OnnxElementType;
  /** Float values (type float) or integers (type int64), row-major. */
  values: readonly number[];
  /** Stored in this file beside the model instead of inline (onnx's external data). */
  externalFile?: string;
}

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  /** Attributes: a number is an INT, a number array an INTS. */
  attributes?: Readonly<Record<string, number | readonly number[]>>;
}

export interface OnnxValueInfo {
  name: string;
  type: OnnxElementType;
  /** A number is a fixed dimension, a string a symbolic one ("batch"). */
  shape: readonly (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graphName: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  metadata?: Readonly<Record<string, string>>;
}

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

/** Protobuf's base-128 varint; negative integers as 64-bit two's complement (10 bytes). */
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

class Message {
  readonly #parts: Uint8Array[] = [];

  #tag(field: number, wire: number) {
    this.#parts.push(Uint8Array.from(varint((field << 3) | wire)));
  }

  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
    this.#tag(field, WIRE_VARINT);
    this.#parts.push(Uint8Array.from(varint(value)));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE_BYTES);
    this.#parts.push(Uint8Array.from(varint(value.length)), value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Message): this {
    return this.bytes(field, value.encode());
  }

  encode(): Uint8Array {
    const length = this.#parts.reduce((sum, part) => sum + part.length, 0);
    const out = new Uint8Array(length);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

function tensor(t: OnnxTensor): Message {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.values.length) {
    throw new RangeError(`tensor ${t.name}: ${t.values.length} values for dims [${t.dims}]`);
  }
  const m = new Message();
  for (const d of t.dims) m.int(1, d);
  m.int(2, t.type);
  m.string(8, t.name);
  if (t.externalFile !== undefined) {
    // external_data (13): location, offset, length; data_location (14): EXTERNAL = 1.
    const bytes = count * (t.type === OnnxType.float ? 4 : 8);
    for (const [key, value] of [
      ["location", t.externalFile],
      ["offset", "0"],
      ["length", String(bytes)],
    ])
      m.message(13, new Message().string(1, key as string).string(2, value as string));
    return m.int(14, 1);
  }
  // raw_data: little-endian, as onnx.proto requires.
  const raw = new DataView(new ArrayBuffer(count * (t.type === OnnxType.float ? 4 : 8)));
  t.values.forEach((v, i) => {
    if (t.type === OnnxType.float) raw.setFloat32(i * 4, v, true);
    else raw.setBigInt64(i * 8, BigInt(v), true);
  });
  return m.bytes(9, new Uint8Array(raw.buffer));
}

function attribute(name: string, value: number | readonly number[]): Message {
  const m = new Message().string(1, name);
  // AttributeProto.AttributeType: INT = 2, INTS = 7.
  if (typeof value === "number") return m.int(3, value).int(20, 2);
  for (const v of value) m.int(8, v);
  return m.int(20, 7);
}

function node(n: OnnxNode): Message {
  const m = new Message();
  for (const input of n.inputs) m.string(1, input);
  for (const output of n.outputs) m.string(2, output);
  m.string(3, n.name).string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {}))
    m.message(5, attribute(name, value));
  return m;
}

function valueInfo(v: OnnxValueInfo): Message {
  const shape = new Message();
  for (const d of v.shape) {
    shape.message(1, typeof d === "number" ? new Message().int(1, d) : new Message().string(2, d));
  }
  const tensorType = new Message().int(1, v.type).message(2, shape);
  return new Message().string(1, v.name).message(2, new Message().message(1, tensorType));
}

/** The model as the bytes of an .onnx file. */
export function encodeOnnx(model: OnnxModel): Uint8Array {
  const graph = new Message();
  for (const n of model.nodes) graph.message(1, node(n));
  graph.string(2, model.graphName);
  for (const t of model.initializers) graph.message(5, tensor(t));
  for (const v of model.inputs) graph.message(11, valueInfo(v));
  for (const v of model.outputs) graph.message(12, valueInfo(v));
  const m = new Message()
    .int(1, model.irVersion)
    .string(2, model.producerName)
    .string(3, model.producerVersion)
    .string(6, model.docString)
    .message(7, graph)
    .message(8, new Message().string(1, "").int(2, model.opset));
  for (const [key, value] of Object.entries(model.metadata ?? {}))
    m.message(14, new Message().string(1, key).string(2, value));
  return m.encode();
}
