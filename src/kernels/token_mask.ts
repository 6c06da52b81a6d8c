/**
 * Grammar token masks on the GPU (shaders/token_mask.wgsl), in place: each row's logits outside its
 * allowed-token bitset become -inf, before the topk kernel, so a constrained decode step still reads back
 * only the top k. CPU twin: token_mask.cpu.ts.
 */
import TOKEN_MASK_WGSL from '../../shaders/token_mask.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export interface TokenMaskArgs {
  logits: Binding; // [rows][V] f32, masked in place
  mask: Binding; // [rows][words] u32 bitsets: token id i of a row is allowed when bit i & 31 of word i >> 5 is set
  rows: number;
  V: number; // logits per row
  words: number; // mask words per row (>= 1); ids from 32 * words on are masked
}

export class TokenMaskKernel extends Kernel {
  constructor(device: GPUDevice, code: string = TOKEN_MASK_WGSL) {
    super(device, 'token_mask', code, 256);
  }

  encode(rec: Recorder, a: TokenMaskArgs): void {
    if (!(Number.isInteger(a.words) && a.words >= 1)) throw new Error(`token_mask: ${a.words} mask words per row`);
    if (a.rows === 0 || a.V === 0) return;
    const params = new Uint32Array([a.rows, a.V, a.words, 0]);
    this.pipelines.dispatch(rec, { WG: this.wg }, params.buffer, [a.logits, a.mask], dispatchSize(this.device, Math.ceil((a.rows * a.V) / this.wg)));
  }
}
