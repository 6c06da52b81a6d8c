/**
 * Streaming a model's tensors from a ByteSource into GPU buffers, chunk by chunk, with progress.
 * Matrices keep their GGUF type (the kernels dequantize); a matrix larger than one storage binding is
 * split by rows into parts. A part is whole rows and a row is whole blocks (32 elements, or 256-element
 * super-blocks for K-quants: checkTensors refuses other row lengths), so no block straddles two parts. Vectors (norms, biases, rope factors) are decoded to f32, which the
 * element-wise kernels read.
 */
import { GgufError } from '../gguf/errors.ts';
import { GgmlType, tensorBytes } from '../gguf/ggml.ts';
import { dequantize } from '../gguf/quant.ts';
import type { GgufHeader, TensorInfo } from '../gguf/source.ts';

export interface TensorPart {
  buf: GPUBuffer; // rows rowLo .. rowLo + rows - 1, each rowBytes long, from byte 0
  rowLo: number;
  rows: number;
}

export interface GpuTensor {
  name: string;
  type: GgmlType; // F32 for vectors
  dims: number[]; // ggml order
  rowBytes: number;
  parts: TensorPart[];
  bytes: number; // GPU bytes held
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

/** Bytes the tensor takes on the GPU (vectors become f32). */
export function gpuBytes(info: TensorInfo): number {
  return info.dims.length === 1 ? info.dims[0] * 4 : info.bytes;
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
  const rowBytes = tensorBytes(info.type, info.dims[0]);
  const nRows = info.bytes / rowBytes;
  const rowsPerPart = Math.floor(o.maxPartBytes / rowBytes);
  if (rowsPerPart < 1) throw new GgufError(src.name, `one row is ${rowBytes} bytes, more than the adapter can bind (${o.maxPartBytes})`, info.name);
  const chunk = Math.max(4, Math.floor((o.chunkBytes ?? 16 << 20) / 4) * 4);
  const parts: TensorPart[] = [];
  try {
    for (let rowLo = 0; rowLo < nRows; rowLo += rowsPerPart) {
      const rows = Math.min(rowsPerPart, nRows - rowLo);
      const partBytes = rows * rowBytes;
      const buf = device.createBuffer({ size: pad4(partBytes), usage: usage(), label: parts.length ? `${info.name}#${parts.length}` : info.name });
      parts.push({ buf, rowLo, rows });
      const start = info.offset + rowLo * rowBytes;
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
  return { name: info.name, type: info.type, dims: info.dims, rowBytes, parts, bytes: parts.reduce((s, p) => s + p.buf.size, 0) };
}

export function destroyTensor(t: GpuTensor): void {
  for (const p of t.parts) p.buf.destroy();
}
