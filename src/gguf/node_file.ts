/**
 * Reading a GGUF file from a Node path for the CPU reference: the header through parseGguf, tensors
 * decoded to f32 on demand.
 */
import { ggmlTypeName } from './ggml.ts';
import { GgufError } from './errors.ts';
import { fileSource } from './node_source.ts';
import { dequantize } from './quant.ts';
import { parseGguf, type GgufHeader } from './source.ts';

export type { TensorInfo } from './source.ts';
export type GgufFile = GgufHeader & { path: string };

export async function openGgufFile(path: string): Promise<GgufFile> {
  return { ...(await parseGguf(await fileSource(path))), path };
}

/** Reads one tensor and decodes it to f32. */
export async function readTensorF32(file: GgufHeader, name: string): Promise<Float32Array> {
  const info = file.tensors.get(name);
  if (!info) throw new GgufError(file.source.name, 'missing', name);
  if (!info.bytes) throw new GgufError(file.source.name, `unsupported tensor type ${ggmlTypeName(info.type)}`, name);
  const bytes = await file.source.read(info.offset, info.bytes);
  return dequantize(info.type, bytes, info.dims.reduce((a, b) => a * b, 1));
}
