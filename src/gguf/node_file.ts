/**
 * Reading a GGUF file from a Node path: metadata and tensor infos through @huggingface/gguf,
 * tensor data with positioned reads (the file is never read whole).
 */
import { open } from 'node:fs/promises';
import { gguf } from '@huggingface/gguf';
import { GgmlType, TYPE_LAYOUT, ggmlTypeName, tensorBytes } from './ggml.ts';
import { GgufError } from './errors.ts';
import { dequantize } from './quant.ts';
import type { MetaEntry } from './writer.ts';

export interface TensorInfo {
  name: string;
  dims: number[]; // ggml order: dims[0] is the row length
  type: GgmlType;
  offset: number; // absolute byte offset in the file
  bytes: number;
}

export interface GgufFile {
  path: string;
  metadata: Record<string, MetaEntry>;
  tensors: Map<string, TensorInfo>;
}

export async function openGgufFile(path: string): Promise<GgufFile> {
  let parsed;
  try {
    parsed = await gguf(path, { allowLocalFile: true, typedMetadata: true });
  } catch (e) {
    throw new GgufError(path, `cannot parse GGUF header (${(e as Error).message})`);
  }
  const metadata: Record<string, MetaEntry> = {};
  for (const [k, v] of Object.entries(parsed.typedMetadata)) {
    if (k === 'version' || k === 'tensor_count' || k === 'kv_count') continue;
    metadata[k] = v as MetaEntry;
  }
  const dataOffset = Number(parsed.tensorDataOffset);
  const tensors = new Map<string, TensorInfo>();
  for (const t of parsed.tensorInfos) {
    const dims = t.shape.map(Number);
    const type = t.dtype as number as GgmlType;
    const elems = dims.reduce((a, b) => a * b, 1);
    const bytes = TYPE_LAYOUT[type] ? tensorBytes(type, elems) : 0;
    tensors.set(t.name, { name: t.name, dims, type, offset: dataOffset + Number(t.offset), bytes });
  }
  return { path, metadata, tensors };
}

/** Reads one tensor and decodes it to f32 (CPU reference use only). */
export async function readTensorF32(file: GgufFile, name: string): Promise<Float32Array> {
  const info = file.tensors.get(name);
  if (!info) throw new GgufError(file.path, 'missing', name);
  if (!TYPE_LAYOUT[info.type]) throw new GgufError(file.path, `unsupported tensor type ${ggmlTypeName(info.type)}`, name);
  const fh = await open(file.path, 'r');
  try {
    const buf = new Uint8Array(info.bytes);
    const { bytesRead } = await fh.read(buf, 0, info.bytes, info.offset);
    if (bytesRead !== info.bytes) throw new GgufError(file.path, `truncated: ${bytesRead} of ${info.bytes} bytes`, name);
    return dequantize(info.type, buf, info.dims.reduce((a, b) => a * b, 1));
  } finally {
    await fh.close();
  }
}
