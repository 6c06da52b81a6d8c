import { expect, test } from 'vitest';
import { GgmlType } from '../gguf/ggml.ts';
import { readBuffer, storageBuffer } from '../kernels/runtime.ts';
import { suiteGpu } from '../kernels/suite.ts';
import { fusedBiasName, fuseProjections, gateUpName, qkName, qkNormName, qkvName } from './fuse.ts';
import type { GpuTensor } from './upload.ts';

const gpu = suiteGpu();

function tensor(device: GPUDevice, name: string, type: GgmlType, k: number, rows: number, fill: number): GpuTensor {
  const bytes = new Uint8Array(rows * k * 4).fill(fill);
  const buf = storageBuffer(device, bytes, name);
  return { name, type, dims: [k, rows], rowBytes: k * 4, parts: [{ buf, rowLo: 0, rows }], bytes: buf.size };
}

function vector(device: GPUDevice, name: string, values: number[]): GpuTensor {
  const buf = storageBuffer(device, new Float32Array(values), name);
  return { name, type: GgmlType.F32, dims: [values.length], rowBytes: 4 * values.length, parts: [{ buf, rowLo: 0, rows: 1 }], bytes: buf.size };
}

test('q, k, v biases fuse with their matrices: all three with a q|k|v, q and k with a q|k (v\'s type differs)', async () => {
  const d = gpu().device;
  const w = new Map<string, GpuTensor>();
  for (const l of [0, 1]) {
    for (const [n, rows, type] of [['attn_q', 4, GgmlType.F32], ['attn_k', 2, GgmlType.F32], ['attn_v', 2, l ? GgmlType.F16 : GgmlType.F32]] as const) {
      w.set(`blk.${l}.${n}.weight`, tensor(d, `blk.${l}.${n}.weight`, type, 8, rows, 1));
      w.set(`blk.${l}.${n}.bias`, vector(d, `blk.${l}.${n}.bias`, Array.from({ length: rows }, (_, i) => 10 * rows + i + l)));
    }
  }
  fuseProjections(d, w, 2, 1 << 20);
  expect([...w.keys()].sort()).toEqual([qkvName('blk.0.'), fusedBiasName(qkvName('blk.0.')), qkName('blk.1.'), fusedBiasName(qkName('blk.1.')), 'blk.1.attn_v.weight', 'blk.1.attn_v.bias'].sort());
  expect(w.get(qkName('blk.1.'))!.segments).toEqual([4, 2]);
  const read = async (n: string, count: number) => [...new Float32Array(await readBuffer(d, w.get(n)!.parts[0].buf, 4 * count))];
  expect(await read(fusedBiasName(qkvName('blk.0.')), 8)).toEqual([40, 41, 42, 43, 20, 21, 20, 21]);
  expect(await read(fusedBiasName(qkName('blk.1.')), 6)).toEqual([41, 42, 43, 44, 21, 22]);
});

test('a layer\'s q, k, v (and gate, up) become one matrix whose rows are theirs back to back; a layer whose parts differ keeps them', async () => {
  const d = gpu().device;
  const w = new Map<string, GpuTensor>();
  for (const [n, rows, fill] of [['attn_q', 4, 1], ['attn_k', 2, 2], ['attn_v', 2, 3]] as const) w.set(`blk.0.${n}.weight`, tensor(d, `blk.0.${n}.weight`, GgmlType.F32, 8, rows, fill));
  for (const [n, type] of [['attn_q', GgmlType.F32], ['attn_k', GgmlType.F32], ['attn_v', GgmlType.F16]] as const) w.set(`blk.1.${n}.weight`, tensor(d, `blk.1.${n}.weight`, type, 8, 2, 9));
  for (const [n, rows, fill] of [['ffn_gate', 3, 4], ['ffn_up', 3, 5]] as const) w.set(`blk.0.${n}.weight`, tensor(d, `blk.0.${n}.weight`, GgmlType.F32, 8, rows, fill));
  fuseProjections(d, w, 2, 1 << 20);
  expect(w.get(gateUpName('blk.0.'))?.segments).toEqual([3, 3]);
  const fused = w.get(qkvName('blk.0.'))!;
  expect([...w.keys()].filter((n) => n.startsWith('blk.0.')).sort()).toEqual([qkvName('blk.0.'), gateUpName('blk.0.')].sort());
  expect(fused.dims).toEqual([8, 8]);
  expect(fused.segments).toEqual([4, 2, 2]);
  const bytes = new Uint8Array(await readBuffer(d, fused.parts[0].buf, 8 * 8 * 4));
  expect([bytes[0], bytes[4 * 32 - 1], bytes[4 * 32], bytes[6 * 32], bytes[8 * 32 - 1]]).toEqual([1, 1, 2, 3, 3]);
  expect(w.has(qkvName('blk.1.'))).toBe(false); // F32, F32, F16: not one matrix, but q|k and v
  expect(w.get(qkName('blk.1.'))?.segments).toEqual([2, 2]);
  expect(w.has('blk.1.attn_v.weight')).toBe(true);
});

test('a layer\'s q and k norms (qwen3, gemma3) become one vector, q_norm then k_norm, for rope_kv\'s one binding', async () => {
  const d = gpu().device;
  const w = new Map<string, GpuTensor>();
  for (const l of [0, 1]) {
    w.set(`blk.${l}.attn_q_norm.weight`, vector(d, `blk.${l}.attn_q_norm.weight`, [1 + l, 2, 3]));
    w.set(`blk.${l}.attn_k_norm.weight`, vector(d, `blk.${l}.attn_k_norm.weight`, [4, 5, 6 + l]));
  }
  fuseProjections(d, w, 2, 1 << 20);
  expect([...w.keys()].sort()).toEqual([qkNormName('blk.0.'), qkNormName('blk.1.')]);
  expect(w.get(qkNormName('blk.1.'))!.dims).toEqual([6]);
  expect([...new Float32Array(await readBuffer(d, w.get(qkNormName('blk.1.'))!.parts[0].buf, 24))]).toEqual([2, 2, 3, 4, 5, 7]);
});
