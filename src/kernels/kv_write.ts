/**
 * Writes a chunk's keys and values into the paged KV cache of one layer, rounded to f16, or as f32 where
 * the pool holds f32 (shaders/kv_write.wgsl):
 * token t goes to page pageTable[seqRow[t]][pos[t] / pageSize], slot pos[t] % pageSize.
 * CPU twin: kv_write.cpu.ts.
 */
import KV_WRITE_WGSL from '../../shaders/kv_write.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export interface KvWriteArgs {
  k: Binding; // [m][width] f32, this chunk's keys (after RoPE)
  v: Binding; // [m][width] f32, its values
  kCache: Binding; // [nPages][pageSize][width] f16 (two per u32 word), or f32 with kvF32
  vCache: Binding; // [nPages][pageSize][width] f16, or f32 with kvF32
  kvF32?: boolean; // the caches hold f32 (KvPoolShape.f32)
  pageTable: Binding; // u32 [rows][maxPages]: row r = the page table of one sequence, padded
  seqRow: Binding; // u32 [m]: the page-table row of token t
  pos: Binding; // u32 [m]: the position of token t in its sequence
  m: number; // tokens
  width: number; // nKvHead * hd, in elements (even)
  pageSize: number; // tokens per page
  maxPages: number; // entries per page-table row
}

export class KvWriteKernel extends Kernel {
  constructor(device: GPUDevice, code: string = KV_WRITE_WGSL) {
    super(device, 'kv_write', code, 256);
  }

  encode(rec: Recorder, a: KvWriteArgs): void {
    if (a.width % 2 !== 0) throw new Error(`kv_write: a row of ${a.width} elements is not whole f16 pairs`);
    const count = (a.m * a.width) / 2; // invocations: one per pair
    if (count === 0) return;
    const params = new Uint32Array([a.m, a.width, a.pageSize, a.maxPages]);
    this.pipelines.dispatch(rec, { WG: this.wg, KV_F16: a.kvF32 ? 0 : 1 }, params.buffer, [a.k, a.v, a.kCache, a.vCache, a.pageTable, a.seqRow, a.pos], dispatchSize(this.device, Math.ceil(count / this.wg)));
  }
}
