/**
 * Token embedding lookup (shaders/embedding.wgsl): y[t] = W[ids[t]], rows of the table dequantized
 * from their GGUF type inside the kernel. Tables too big for one binding are split by rows: one
 * dispatch per part, each writing the tokens whose ids it holds. CPU twin: embedding.cpu.ts.
 */
import GGML_TYPES_WGSL from '../../shaders/ggml_types.wgsl?raw';
import EMBEDDING_WGSL from '../../shaders/embedding.wgsl?raw';
import { weightRowBytes, weightTypeName, type WeightType } from '../model/repack.ts';
import { WEIGHT_TYPES } from './matmul.ts';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

/** The whole shader module: the type decoders, then the kernel. */
export const EMBEDDING_CODE = GGML_TYPES_WGSL + EMBEDDING_WGSL;

export interface EmbeddingArgs {
  type: WeightType; // type of the table; any of WEIGHT_TYPES
  w: Binding; // table rows rowLo .. rowLo+rows-1, each `weightRowBytes(type, n)` bytes, starting at byte wOffset
  wOffset?: number; // bytes, a multiple of 4
  ids: Binding; // u32 [m] token ids
  y: Binding; // [m][n] f32
  m: number; // tokens
  n: number; // row length, in elements
  rowLo?: number; // first table row held by w; default 0
  rows: number; // rows held by w; tokens whose id is outside [rowLo, rowLo+rows) are left untouched in y
  scale?: number; // every element multiplied by it (default 1; gemma: sqrt(n))
}

export class EmbeddingKernel extends Kernel {
  constructor(device: GPUDevice, code: string = EMBEDDING_CODE) {
    super(device, 'embedding', code, 256);
  }

  encode(rec: Recorder, a: EmbeddingArgs): void {
    if (!WEIGHT_TYPES.includes(a.type)) throw new Error(`embedding: unsupported table type ${weightTypeName(a.type)}`);
    const wOffset = a.wOffset ?? 0;
    if (wOffset % 4 !== 0) throw new Error(`embedding: table offset ${wOffset} is not a multiple of 4 bytes`);
    const rowBytes = weightRowBytes(a.type, a.n); // throws when n is not a whole number of blocks
    const params = new Uint32Array([a.n, a.m, wOffset, rowBytes, a.rowLo ?? 0, a.rows, 0, 0]);
    new Float32Array(params.buffer, 24, 1)[0] = a.scale ?? 1;
    const groups = Math.ceil((a.m * a.n) / this.wg);
    this.pipelines.dispatch(rec, { WG: this.wg, WTYPE: a.type }, params.buffer, [a.w, a.ids, a.y], dispatchSize(this.device, groups));
  }
}
