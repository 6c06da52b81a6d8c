/**
 * Writes a chunk's keys and values into the paged KV cache of one layer (shaders/kv_write.wgsl):
 * token t goes to page pageTable[seqRow[t]][pos[t] / pageSize], slot pos[t] % pageSize.
 * CPU twin: kv_write.cpu.ts.
 */
import KV_WRITE_WGSL from '../../shaders/kv_write.wgsl?raw';
import { Kernel } from './pipelines.ts';
import { dispatchSize, type Binding, type Recorder } from './runtime.ts';

export interface KvWriteArgs {
  k: Binding; // [m][width] f32, this chunk's keys (after RoPE)
  v: Binding; // [m][width] f32, its values
  kCache: Binding; // [nPages][pageSize][width] f32
  vCache: Binding; // [nPages][pageSize][width] f32
  pageTable: Binding; // u32 [rows][maxPages]: row r = the page table of one sequence, padded
  seqRow: Binding; // u32 [m]: the page-table row of token t
  pos: Binding; // u32 [m]: the position of token t in its sequence
  m: number; // tokens
  width: number; // nKvHead * hd, in elements
  pageSize: number; // tokens per page
  maxPages: number; // entries per page-table row
}

export class KvWriteKernel extends Kernel {
  constructor(device: GPUDevice, code: string = KV_WRITE_WGSL) {
    super(device, 'kv_write', code, 256);
  }

  encode(rec: Recorder, a: KvWriteArgs): void {
    const count = a.m * a.width;
    if (count === 0) return;
    const params = new Uint32Array([a.m, a.width, a.pageSize, a.maxPages]);
    this.pipelines.dispatch(rec, { WG: this.wg }, params.buffer, [a.k, a.v, a.kCache, a.vCache, a.pageTable, a.seqRow, a.pos], dispatchSize(this.device, Math.ceil(count / this.wg)));
  }
}
