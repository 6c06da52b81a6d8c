/**
 * Matrices that read the same input, fused into one GPU buffer after upload so one matmul dispatch covers
 * them: a layer's attn_q | attn_k | attn_v become `blk.N.attn_qkv.fused` and its ffn_gate | ffn_up
 * `blk.N.ffn_gate_up.fused`, rows back to back, and the forward
 * pass writes each part's rows to its own region of y (output segments, shaders/matmul_out.wgsl). Done with
 * GPU copies when the parts are whole (one buffer each), share a type and a row length, and fit one binding
 * together; the parts' buffers are destroyed. Otherwise the parts stay as they are.
 */
import type { GpuTensor } from './upload.ts';

/** Name of the fused q|k|v matrix of the layer whose tensor names start with `prefix` ("blk.N."). */
export const qkvName = (prefix: string): string => `${prefix}attn_qkv.fused`;
/** Name of its fused gate|up matrix. */
export const gateUpName = (prefix: string): string => `${prefix}ffn_gate_up.fused`;
/** Name of its fused q|k, where q|k|v cannot be (a Q4_K_M file's attn_v in Q6_K beside Q4_K q and k). */
export const qkName = (prefix: string): string => `${prefix}attn_qk.fused`;
/** Name of a layer's per-head RMSNorm weights of q and k (qwen3, gemma3), q_norm then k_norm, in one buffer. */
export const qkNormName = (prefix: string): string => `${prefix}attn_qk_norm.fused`;
/** Name of the biases (qwen2) of a fused q|k|v or q|k, back to back as its rows. */
export const fusedBiasName = (fusedName: string): string => `${fusedName}.bias`;

/** The matrices a layer's q, k and v go through once fused where they could be (q|k|v, q|k beside v, or each alone). */
export function qkvNames(has: (name: string) => boolean, prefix: string): { names: string[]; fused?: string } {
  const fused = [qkvName(prefix), qkName(prefix)].find(has);
  const names = fused === qkvName(prefix) ? [fused] : fused ? [fused, `${prefix}attn_v.weight`] : ['q', 'k', 'v'].map((h) => `${prefix}attn_${h}.weight`);
  return { names, fused };
}

/** Those of its gate and up: the fused gate|up, or each alone. */
export function gateUpNames(has: (name: string) => boolean, prefix: string): string[] {
  return has(gateUpName(prefix)) ? [gateUpName(prefix)] : ['gate', 'up'].map((n) => `${prefix}ffn_${n}.weight`);
}

/** The output matrix: output.weight, or token_embd.weight where the file ties the two. */
export const outputName = (has: (name: string) => boolean): string => (has('output.weight') ? 'output.weight' : 'token_embd.weight');

/** The matrices a decode step multiplies by, in its order: each layer's q|k|v, o, gate|up and down; the output. */
export function stepMatrixNames(has: (name: string) => boolean, nLayer: number): string[] {
  const layer = (p: string) => [...qkvNames(has, p).names, `${p}attn_output.weight`, ...gateUpNames(has, p), `${p}ffn_down.weight`];
  return [...Array.from({ length: nLayer }, (_, l) => layer(`blk.${l}.`)).flat(), outputName(has)];
}

/** Vectors (f32 as uploaded, one buffer each) back to back in one buffer; theirs are destroyed. */
function fuseVectors(device: GPUDevice, parts: GpuTensor[], name: string): GpuTensor {
  const total = parts.reduce((s, p) => s + p.dims[0], 0);
  const buf = device.createBuffer({ size: 4 * total, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label: name });
  const enc = device.createCommandEncoder({ label: `fuse ${name}` });
  let at = 0;
  for (const p of parts) {
    enc.copyBufferToBuffer(p.parts[0].buf, 0, buf, at, 4 * p.dims[0]);
    at += 4 * p.dims[0];
  }
  device.queue.submit([enc.finish()]);
  for (const p of parts) p.parts[0].buf.destroy();
  return { name, type: parts[0].type, dims: [total], rowBytes: 4 * total, parts: [{ buf, rowLo: 0, rows: 1 }], bytes: buf.size };
}

/** Where all of `names` are in `weights`, replaces them by one vector of theirs back to back (fuseVectors) named `name`. */
function replaceByFusedVector(device: GPUDevice, weights: Map<string, GpuTensor>, names: string[], name: string): void {
  const parts = names.map((n) => weights.get(n));
  if (parts.some((t) => !t)) return;
  for (const n of names) weights.delete(n);
  weights.set(name, fuseVectors(device, parts as GpuTensor[], name));
}

/** `parts` as one matrix (with their row counts as segments), or undefined when they cannot be fused. */
export function fuseRows(device: GPUDevice, parts: GpuTensor[], name: string, maxPartBytes: number): GpuTensor | undefined {
  const [first] = parts;
  const same = parts.every((p) => p.parts.length === 1 && p.type === first.type && p.dims[0] === first.dims[0] && p.rowBytes === first.rowBytes);
  const rows = parts.map((p) => p.parts[0].rows);
  const bytes = rows.reduce((a, b) => a + b, 0) * first.rowBytes;
  if (!same || bytes > maxPartBytes || bytes % 4 !== 0) return undefined;
  const buf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label: name });
  const enc = device.createCommandEncoder({ label: `fuse ${name}` });
  let at = 0;
  for (const p of parts) {
    const n = p.parts[0].rows * p.rowBytes;
    enc.copyBufferToBuffer(p.parts[0].buf, 0, buf, at, n);
    at += n;
  }
  device.queue.submit([enc.finish()]);
  for (const p of parts) p.parts[0].buf.destroy(); // after the copies: destroy waits for submitted work
  const total = rows.reduce((a, b) => a + b, 0);
  return { name, type: first.type, dims: [first.dims[0], total], rowBytes: first.rowBytes, parts: [{ buf, rowLo: 0, rows: total }], bytes: buf.size, segments: rows };
}

/** Fuses every layer's q|k|v (else q|k) and gate|up in `weights` (replacing the parts' entries) where fuseRows can,
 * and its q and k norm vectors (qwen3, gemma3), which rope_kv reads through one binding. */
export function fuseProjections(device: GPUDevice, weights: Map<string, GpuTensor>, nLayer: number, maxPartBytes: number): void {
  for (let l = 0; l < nLayer; l++) {
    const p = `blk.${l}.`;
    const groups = [[['attn_q', 'attn_k', 'attn_v'], qkvName(p)], [['attn_q', 'attn_k'], qkName(p)], [['ffn_gate', 'ffn_up'], gateUpName(p)]] as const;
    for (const [group, name] of groups) {
      const names = group.map((n) => `${p}${n}.weight`);
      const parts = names.map((n) => weights.get(n));
      if (parts.some((t) => !t)) continue;
      const fused = fuseRows(device, parts as GpuTensor[], name, maxPartBytes);
      if (!fused) continue;
      for (const n of names) weights.delete(n);
      weights.set(fused.name, fused);
      // the biases of a fused q|k|v or q|k (qwen2), as its rows: the matmul adds them as it writes (Forward.mm)
      replaceByFusedVector(device, weights, group.map((n) => `${p}${n}.bias`), fusedBiasName(name));
    }
    replaceByFusedVector(device, weights, [`${p}attn_q_norm.weight`, `${p}attn_k_norm.weight`], qkNormName(p));
  }
}
