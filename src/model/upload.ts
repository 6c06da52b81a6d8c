/**
 * Streaming a model's tensors from a ByteSource into GPU buffers, chunk by chunk, with progress.
 * Matrices keep their GGUF type (the kernels dequantize; Q8_0 and Q4_0 rows are rearranged so that blocks
 * are 16-byte aligned: src/model/repack.ts); a matrix larger than one storage binding is
 * split by rows into parts. A part is whole rows and a row is whole blocks (32 elements, or 256-element
 * super-blocks for K-quants: checkTensors refuses other row lengths), so no block straddles two parts. Vectors (norms, biases, rope factors) are decoded to f32, which the
 * element-wise kernels read.
 */
import { GgufError } from '../gguf/errors.ts';
import { GgmlType, tensorBytes } from '../gguf/ggml.ts';
import { dequantize } from '../gguf/quant.ts';
import type { GgufHeader, TensorInfo } from '../gguf/source.ts';
import { isRepacked, repackRows, repackedType, weightRowBytes, type WeightType } from './repack.ts';

export interface TensorPart {
  buf: GPUBuffer; // rows rowLo .. rowLo + rows - 1, each rowBytes long, from byte 0
  rowLo: number;
  rows: number;
}

export interface GpuTensor {
  name: string;
  type: WeightType; // F32 for vectors; Q8_0 and Q4_0 matrices are repacked (src/model/repack.ts)
  dims: number[]; // ggml order
  rowBytes: number; // on the GPU
  parts: TensorPart[];
  bytes: number; // GPU bytes held
  segments?: number[]; // a fused matrix (model/fuse.ts): rows of each matrix in it, in order
}

export interface LoadProgress {
  loadedBytes: number; // weight bytes uploaded so far
  totalBytes: number;
  tensor: string; // the tensor being uploaded
}

export interface UploadOptions {
  maxPartBytes: number; // largest buffer one binding may see (min of maxStorageBufferBindingSize, maxBufferSize)
  chunkBytes?: number; // bytes read and written per step (default 16 MiB)
  /** Called after each chunk is queued; the caller may wait here (e.g. for the queue to drain). */
  onBytes?: (bytes: number, tensor: string) => void | Promise<void>;
  signal?: AbortSignal;
}

const usage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
const pad4 = (n: number) => Math.ceil(n / 4) * 4;

/** The type a matrix is kept in on the GPU. */
function gpuType(info: TensorInfo): WeightType {
  return repackedType(info.type) ?? info.type;
}

/** Bytes the tensor takes on the GPU (vectors become f32; repacked rows are padded to 16 bytes). */
export function gpuBytes(info: TensorInfo): number {
  if (info.dims.length === 1) return info.dims[0] * 4;
  return (info.bytes / tensorBytes(info.type, info.dims[0])) * weightRowBytes(gpuType(info), info.dims[0]);
}

export async function uploadTensor(device: GPUDevice, file: GgufHeader, info: TensorInfo, o: UploadOptions): Promise<GpuTensor> {
  const src = file.source;
  if (info.dims.length === 1) {
    const values = dequantize(info.type, await src.read(info.offset, info.bytes), info.dims[0]);
    const buf = device.createBuffer({ size: pad4(values.byteLength), usage: usage(), label: info.name });
    device.queue.writeBuffer(buf, 0, values);
    await o.onBytes?.(info.bytes, info.name);
    return { name: info.name, type: GgmlType.F32, dims: info.dims, rowBytes: values.byteLength, parts: [{ buf, rowLo: 0, rows: 1 }], bytes: buf.size };
  }
  const rowBytes = tensorBytes(info.type, info.dims[0]); // in the file
  const nRows = info.bytes / rowBytes;
  const type = gpuType(info);
  const gpuRowBytes = weightRowBytes(type, info.dims[0]);
  const rowsPerPart = Math.floor(o.maxPartBytes / gpuRowBytes);
  if (rowsPerPart < 1) throw new GgufError(src.name, `one row is ${gpuRowBytes} bytes, more than the adapter can bind (${o.maxPartBytes})`, info.name);
  const chunk = Math.max(4, Math.floor((o.chunkBytes ?? 16 << 20) / 4) * 4);
  const parts: TensorPart[] = [];
  try {
    for (let rowLo = 0; rowLo < nRows; rowLo += rowsPerPart) {
      const rows = Math.min(rowsPerPart, nRows - rowLo);
      const buf = device.createBuffer({ size: pad4(rows * gpuRowBytes), usage: usage(), label: parts.length ? `${info.name}#${parts.length}` : info.name });
      parts.push({ buf, rowLo, rows });
      const start = info.offset + rowLo * rowBytes;
      if (isRepacked(type)) {
        // whole rows at a time, rearranged; GPU rows are 16-byte multiples, so every write is aligned
        const step = Math.max(1, Math.floor(chunk / rowBytes));
        for (let r = 0; r < rows; r += step) {
          if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
          const n = Math.min(step, rows - r);
          device.queue.writeBuffer(buf, r * gpuRowBytes, repackRows(type, await src.read(start + r * rowBytes, n * rowBytes), info.dims[0], n));
          await o.onBytes?.(n * rowBytes, info.name);
        }
        continue;
      }
      const partBytes = rows * rowBytes;
      for (let done = 0; done < partBytes; done += chunk) {
        if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
        const n = Math.min(chunk, partBytes - done);
        let bytes = await src.read(start + done, n);
        if (n % 4) {
          const padded = new Uint8Array(pad4(n));
          padded.set(bytes);
          bytes = padded;
        }
        device.queue.writeBuffer(buf, done, bytes);
        await o.onBytes?.(n, info.name);
      }
    }
  } catch (e) {
    for (const p of parts) p.buf.destroy();
    throw e;
  }
  return { name: info.name, type, dims: info.dims, rowBytes: gpuRowBytes, parts, bytes: parts.reduce((s, p) => s + p.buf.size, 0) };
}

export function destroyTensor(t: GpuTensor): void {
  for (const p of t.parts) p.buf.destroy();
}
