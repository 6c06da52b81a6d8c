/**
 * A chunk's per-token inputs on the GPU, all in one storage buffer so that a run writes them with one queue
 * write (each write is a staging copy and a copy command; a decode step's host time counts them, issue 10):
 *   ids [chunkTokens] u32 | pos [chunkTokens] u32 | seqRow [chunkTokens] u32 | tables [chunkTokens][maxPages] u32
 * Each region starts at a multiple of the device's storage-binding offset alignment (kernels bind them as
 * ranges). A run writes the three token regions whole and the table rows its chunk uses; unused table
 * entries are 0, as the page-table rows are padded.
 */
import { storageBuffer } from '../kernels/runtime.ts';
import type { Chunk } from './chunk.ts';

export class ChunkInputs {
  readonly ids: GPUBufferBinding; // token t's id
  readonly pos: GPUBufferBinding; // token t's position in its sequence
  readonly seqRow: GPUBufferBinding; // token t's row of the page tables
  readonly table: GPUBufferBinding; // row r: the pages of one sequence, in order, padded with 0
  private readonly buf: GPUBuffer;
  private readonly host: Uint32Array; // what the write sends: the buffer's layout, as far as a chunk fills it

  constructor(
    private readonly device: GPUDevice,
    private readonly chunkTokens: number,
    private readonly maxPages: number,
  ) {
    const align = device.limits.minStorageBufferOffsetAlignment;
    const region = (words: number) => Math.ceil((words * 4) / align) * align;
    const token = region(chunkTokens);
    const tableBytes = chunkTokens * maxPages * 4;
    this.buf = storageBuffer(device, 3 * token + tableBytes, 'chunk.inputs');
    const at = (offset: number, size: number): GPUBufferBinding => ({ buffer: this.buf, offset, size: Math.ceil(size / 16) * 16 });
    this.ids = at(0, chunkTokens * 4);
    this.pos = at(token, chunkTokens * 4);
    this.seqRow = at(2 * token, chunkTokens * 4);
    this.table = at(3 * token, tableBytes);
    this.host = new Uint32Array((3 * token + tableBytes) / 4);
  }

  /** GPU bytes. */
  get bytes(): number {
    return this.buf.size;
  }

  /** Writes chunk c's inputs (c.ids.length <= chunkTokens, rows of at most maxPages pages). */
  write(c: Chunk): void {
    const { host, maxPages } = this;
    const m = c.ids.length;
    if (m > this.chunkTokens || c.tables.length > this.chunkTokens) throw new Error(`chunk inputs: ${m} tokens, ${c.tables.length} tables (at most ${this.chunkTokens})`);
    host.set(c.ids, this.ids.offset! / 4);
    host.set(c.pos, this.pos.offset! / 4);
    host.set(c.seqRow, this.seqRow.offset! / 4);
    const table = this.table.offset! / 4;
    c.tables.forEach((row, r) => {
      if (row.length > maxPages) throw new Error(`chunk inputs: a page table of ${row.length} pages (at most ${maxPages})`);
      host.set(row, table + r * maxPages);
      host.fill(0, table + r * maxPages + row.length, table + (r + 1) * maxPages);
    });
    this.device.queue.writeBuffer(this.buf, 0, host, 0, table + c.tables.length * maxPages);
  }

  destroy(): void {
    this.buf.destroy();
  }
}
