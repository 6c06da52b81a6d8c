/**
 * GGUF v3 writer: header, typed key/values, tensor infos, then aligned tensor data.
 * Layout (little endian): "GGUF" u32 version, u64 n_tensors, u64 n_kv, kv*, tensor_info*,
 * padding to `general.alignment` (default 32), data. Each tensor's offset is relative to the data start.
 * Returned as a list of chunks so large tensor data is never copied into one buffer.
 */
import { GGUFValueType, type MetadataValue } from '@huggingface/gguf';
import { GgmlType, tensorBytes } from './ggml.ts';

/** One metadata value with its GGUF type (arrays name their element type in `subType`). */
export interface MetaEntry {
  type: GGUFValueType;
  value: MetadataValue;
  subType?: GGUFValueType;
}

export interface TensorToWrite {
  name: string;
  dims: number[]; // ggml order: dims[0] is the contiguous (row) length
  type: GgmlType;
  data: Uint8Array; // already encoded in `type`
}

const ALIGNMENT = 32;

class ByteSink {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private view = new DataView(this.cur.buffer);
  private pos = 0;
  length = 0;

  private ensure(n: number) {
    if (this.pos + n <= this.cur.length) return;
    this.flush();
    if (n > this.cur.length) {
      this.cur = new Uint8Array(n);
      this.view = new DataView(this.cur.buffer);
    }
  }
  flush() {
    if (this.pos > 0) this.chunks.push(this.cur.slice(0, this.pos));
    this.pos = 0;
  }
  u8(v: number) { this.ensure(1); this.view.setUint8(this.pos, v); this.pos++; this.length++; }
  i8(v: number) { this.ensure(1); this.view.setInt8(this.pos, v); this.pos++; this.length++; }
  u16(v: number) { this.ensure(2); this.view.setUint16(this.pos, v, true); this.pos += 2; this.length += 2; }
  i16(v: number) { this.ensure(2); this.view.setInt16(this.pos, v, true); this.pos += 2; this.length += 2; }
  u32(v: number) { this.ensure(4); this.view.setUint32(this.pos, v, true); this.pos += 4; this.length += 4; }
  i32(v: number) { this.ensure(4); this.view.setInt32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f32(v: number) { this.ensure(4); this.view.setFloat32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f64(v: number) { this.ensure(8); this.view.setFloat64(this.pos, v, true); this.pos += 8; this.length += 8; }
  u64(v: number | bigint) { this.ensure(8); this.view.setBigUint64(this.pos, BigInt(v), true); this.pos += 8; this.length += 8; }
  i64(v: number | bigint) { this.ensure(8); this.view.setBigInt64(this.pos, BigInt(v), true); this.pos += 8; this.length += 8; }
  bytes(b: Uint8Array) {
    if (b.length > 4096) {
      this.flush();
      this.chunks.push(b); // large payloads are passed through, not copied
      this.length += b.length;
      return;
    }
    this.ensure(b.length);
    this.cur.set(b, this.pos);
    this.pos += b.length;
    this.length += b.length;
  }
  string(s: string) {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number) {
    while (this.length % alignment !== 0) this.u8(0);
  }
  done(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}

function writeValue(sink: ByteSink, type: GGUFValueType, value: MetadataValue, subType?: GGUFValueType, key = '') {
  const num = () => {
    if (typeof value !== 'number' && typeof value !== 'bigint') throw new Error(`metadata ${key}: expected a number`);
    return value;
  };
  switch (type) {
    case GGUFValueType.UINT8: return sink.u8(Number(num()));
    case GGUFValueType.INT8: return sink.i8(Number(num()));
    case GGUFValueType.UINT16: return sink.u16(Number(num()));
    case GGUFValueType.INT16: return sink.i16(Number(num()));
    case GGUFValueType.UINT32: return sink.u32(Number(num()));
    case GGUFValueType.INT32: return sink.i32(Number(num()));
    case GGUFValueType.FLOAT32: return sink.f32(Number(num()));
    case GGUFValueType.FLOAT64: return sink.f64(Number(num()));
    case GGUFValueType.UINT64: return sink.u64(num());
    case GGUFValueType.INT64: return sink.i64(num());
    case GGUFValueType.BOOL: return sink.u8(value ? 1 : 0);
    case GGUFValueType.STRING:
      if (typeof value !== 'string') throw new Error(`metadata ${key}: expected a string`);
      return sink.string(value);
    case GGUFValueType.ARRAY: {
      if (!Array.isArray(value) || subType === undefined) throw new Error(`metadata ${key}: expected an array with an element type`);
      sink.u32(subType);
      sink.u64(value.length);
      for (const v of value) writeValue(sink, subType, v, undefined, key);
      return;
    }
    default:
      throw new Error(`metadata ${key}: unknown value type ${type}`);
  }
}

/** Serializes a GGUF v3 file. `metadata` keys are written in insertion order. */
export function writeGguf(metadata: Record<string, MetaEntry>, tensors: TensorToWrite[]): Uint8Array[] {
  const sink = new ByteSink();
  sink.u32(0x46554747); // "GGUF"
  sink.u32(3);
  sink.u64(tensors.length);
  const entries = Object.entries(metadata);
  sink.u64(entries.length);
  for (const [key, e] of entries) {
    sink.string(key);
    sink.u32(e.type);
    writeValue(sink, e.type, e.value, e.subType, key);
  }
  let offset = 0;
  for (const t of tensors) {
    const elems = t.dims.reduce((a, b) => a * b, 1);
    const expected = tensorBytes(t.type, elems);
    if (t.data.byteLength !== expected) throw new Error(`tensor ${t.name}: ${t.data.byteLength} bytes, expected ${expected}`);
    sink.string(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(t.type);
    sink.u64(offset);
    offset += Math.ceil(t.data.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  sink.pad(ALIGNMENT);
  for (const t of tensors) {
    sink.bytes(t.data);
    sink.pad(ALIGNMENT);
  }
  return sink.done();
}

/** Shorthands for building metadata. */
export const meta = {
  str: (value: string): MetaEntry => ({ type: GGUFValueType.STRING, value }),
  u32: (value: number): MetaEntry => ({ type: GGUFValueType.UINT32, value }),
  f32: (value: number): MetaEntry => ({ type: GGUFValueType.FLOAT32, value }),
  bool: (value: boolean): MetaEntry => ({ type: GGUFValueType.BOOL, value }),
  strs: (value: string[]): MetaEntry => ({ type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING, value }),
  f32s: (value: number[]): MetaEntry => ({ type: GGUFValueType.ARRAY, subType: GGUFValueType.FLOAT32, value }),
  i32s: (value: number[]): MetaEntry => ({ type: GGUFValueType.ARRAY, subType: GGUFValueType.INT32, value }),
};
