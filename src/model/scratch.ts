/**
 * The forward pass's activation buffers (model/forward.ts), allocated once for chunks of up to c tokens and
 * shared by every run (the queue runs them in order). Shapes for a chunk of c tokens:
 *   x [c][E] the residual stream; h [c][E] a normed input; o [c][E] a block's output before its
 *   residual add, post [c][E] that post-normed (gemma); att [c][H*hd] attention's output
 *   qkv: q [c][H*hd], k, v [c][Hkv*hd], regions of one buffer that a fused q|k|v matmul writes in one dispatch
 *   gu: gate, up [c][nFf], regions of one buffer likewise
 *   partO [tokens][H][splits][hd], partMl [tokens][H][splits][2]: the split attention's partial results for
 *   `split.tokens` tokens at a time over the longest sequence's `split.splits` splits
 *   xq, xd: a matmul input quantized to 8-bit blocks (matmul_q8), as wide as the widest input row
 * Regions start at multiples of 256 bytes (binding offsets).
 */
import { q8Bytes } from '../kernels/quantize_q8.ts';
import { storageBuffer } from '../kernels/runtime.ts';
import type { HParams } from './hparams.ts';

export interface Scratch {
  buf: Record<'x' | 'h' | 'qkv' | 'att' | 'gu' | 'post' | 'partO' | 'partMl' | 'xq' | 'xd' | 'o', GPUBuffer>;
  qkv: Record<'q' | 'k' | 'v', GPUBufferBinding>; // regions of buf.qkv
  gu: Record<'g' | 'u', GPUBufferBinding>; // regions of buf.gu
}

export function scratchBuffers(device: GPUDevice, hp: HParams, c: number, split: { tokens: number; splits: number }, int8Dot: boolean): Scratch {
  const { nEmbd: e, nHead, nHeadKv, headDim: hd, nFf } = hp;
  const region = (n: number) => Math.ceil((c * n * 4) / 256) * 256; // [c][n] f32
  const qkvAt = { q: 0, k: region(nHead * hd), v: region(nHead * hd) + region(nHeadKv * hd), bytes: region(nHead * hd) + 2 * region(nHeadKv * hd) };
  const f32 = (n: number, label: string) => storageBuffer(device, n * 4, label);
  const widest = c * Math.max(e, nHead * hd, nFf);
  const buf: Scratch['buf'] = {
    x: f32(c * e, 'x'),
    h: f32(c * e, 'h'),
    qkv: storageBuffer(device, qkvAt.bytes, 'qkv'),
    att: f32(c * nHead * hd, 'att'),
    gu: storageBuffer(device, 2 * region(nFf), 'ffn.gate_up'),
    o: f32(c * e, 'block_out'),
    post: f32(hp.postNorms ? c * e : 1, 'post_norm'),
    partO: f32(split.tokens * nHead * split.splits * hd, 'attention.partO'),
    partMl: f32(split.tokens * nHead * split.splits * 2, 'attention.partMl'),
    xq: storageBuffer(device, int8Dot ? q8Bytes(widest).q : 16, 'x.q8'),
    xd: storageBuffer(device, int8Dot ? q8Bytes(widest).d : 16, 'x.q8.d'),
  };
  const bind = (buffer: GPUBuffer, offset: number, n: number): GPUBufferBinding => ({ buffer, offset, size: Math.ceil((c * n * 4) / 16) * 16 });
  return {
    buf,
    qkv: { q: bind(buf.qkv, qkvAt.q, nHead * hd), k: bind(buf.qkv, qkvAt.k, nHeadKv * hd), v: bind(buf.qkv, qkvAt.v, nHeadKv * hd) },
    gu: { g: bind(buf.gu, 0, nFf), u: bind(buf.gu, region(nFf), nFf) },
  };
}
