/**
 * The paged KV cache on the GPU: per layer one K and one V buffer of f16 [nPages][pageSize][nKvHead][hd]
 * (two to a u32 word: kernels/rope_kv.ts writes them, the attention kernels read them; or f32, one a word),
 * plus the page bookkeeping (pages.ts). Copy-on-write page copies go through a one-page scratch buffer
 * (WebGPU cannot copy within one buffer).
 */
import { KvPages, type PageCopy } from './pages.ts';
import { kvPageBytes } from './budget.ts';

export interface KvPoolShape {
  nLayer: number;
  nKvHead: number;
  headDim: number;
  pageSize: number; // tokens per page
  nPages: number;
  f32?: boolean; // f32 elements (else f16)
}

export class KvPool {
  readonly pages: KvPages;
  readonly k: GPUBuffer[] = []; // [layer] -> [nPages][pageSize][nKvHead][hd] f16 (f32 with shape.f32)
  readonly v: GPUBuffer[] = [];
  readonly pageBytes: number; // one page of one layer's K (or V)
  private readonly scratch: GPUBuffer;

  constructor(
    device: GPUDevice,
    readonly shape: KvPoolShape,
  ) {
    this.pages = new KvPages(shape.nPages, shape.pageSize);
    this.pageBytes = kvPageBytes(shape.nKvHead, shape.headDim, shape.pageSize, shape.f32);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    for (let l = 0; l < shape.nLayer; l++) {
      this.k.push(device.createBuffer({ size: shape.nPages * this.pageBytes, usage, label: `kv.k.${l}` }));
      this.v.push(device.createBuffer({ size: shape.nPages * this.pageBytes, usage, label: `kv.v.${l}` }));
    }
    this.scratch = device.createBuffer({ size: this.pageBytes, usage, label: 'kv.copy' });
  }

  get bytes(): number {
    return 2 * this.shape.nLayer * this.shape.nPages * this.pageBytes;
  }

  /** Encodes the copy-on-write copies returned by pages.append, for every layer's K and V. */
  encodeCopies(encoder: GPUCommandEncoder, copies: readonly PageCopy[]): void {
    for (const { src, dst } of copies) {
      for (const buf of [...this.k, ...this.v]) {
        encoder.copyBufferToBuffer(buf, src * this.pageBytes, this.scratch, 0, this.pageBytes);
        encoder.copyBufferToBuffer(this.scratch, 0, buf, dst * this.pageBytes, this.pageBytes);
      }
    }
  }

  destroy(): void {
    for (const b of [...this.k, ...this.v, this.scratch]) b.destroy();
  }
}
