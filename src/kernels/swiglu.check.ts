/**
 * The swiglu kernel checked against its CPU twin (f64), separate and in place, with gate values up to
 * +-100 (exp(100) overflows f32: the kernel must never compute it) and more elements than one dispatch
 * dimension holds.
 *
 * Tolerance: |err| <= 1e-30 + RTOL * |want| * (1 + |g|). An f32 exp(x) is off by ~|x| * 6e-8 relative
 * from rounding x * log2(e) alone (WGSL allows 3 + 2|x| ulp), which dominates for large negative g,
 * where silu(g) ~ g exp(g); RTOL (~7 ulp) covers that and the other four roundings (measured on lavapipe
 * and SwiftShader: 2.0e-7). The absolute part only forgives results below 1e-30, which occur for
 * g < -65 where exp(g) may be flushed from a subnormal to 0 (the exact result is ~0 anyway).
 * For gelu the sigmoid's argument is a = 2 sqrt(2/pi) (g + 0.044715 g^3), not g, so the bound uses
 * (1 + |a|); it covers the cube's and the scaling's roundings too.
 */
import type { Activation } from '../model/hparams.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { compareQ8 } from './quantize_q8.check.ts';
import { q8Bytes } from './quantize_q8.ts';
import { SwigluKernel } from './swiglu.ts';
import { sigmoidArgument, swigluCpu } from './swiglu.cpu.ts';

export interface SwigluCase {
  count: number; // elements
  scale: number; // std of the gate values
  inPlace: boolean; // y is the gate buffer
  act?: Activation; // default silu
  packed?: boolean; // gate and up in one buffer (a fused gate|up matmul's output), y over gate
  quant?: boolean; // y quantized too (count a multiple of 32): compared with the CPU twin's quantization of the kernel's y
}

export const SWIGLU_RTOL = 4e-7; // of |want| * (1 + |g|)

/** Gate values where a naive silu overflows or loses precision, planted at the start of each case. */
const SPECIAL = [-100, 100, -88.5, 88.5, -87, -30, 30, -20, 20, -1e-30, 1e-30, 0, -0, 1e-3, -1e-3];

export function swigluCases(seed: number, random = 6): SwigluCase[] {
  const cases: SwigluCase[] = [
    { count: 1, scale: 1, inPlace: false },
    { count: 255, scale: 1, inPlace: false },
    { count: 257, scale: 5, inPlace: true },
    { count: 4096, scale: 30, inPlace: false },
    { count: 1000, scale: 100, inPlace: true },
    // more elements than 65535 workgroups of 256 hold: exercises the wg.y spill
    { count: 65535 * 256 + 300, scale: 3, inPlace: true },
    // gemma's GeGLU: around the bend, far out on both sides, and past the clamp
    { count: 3000, scale: 1, inPlace: false, act: 'gelu' },
    { count: 3000, scale: 6, inPlace: true, act: 'gelu' },
    { count: 1000, scale: 100, inPlace: false, act: 'gelu' },
    // quantized for the down projection: blocks across workgroups, in place and not
    { count: 32 * (256 * 3 + 5), scale: 3, inPlace: true, quant: true },
    { count: 32 * 700, scale: 1, inPlace: false, act: 'gelu', quant: true },
    { count: 1536, scale: 2, inPlace: true, packed: true, quant: true }, // smollm2's feed-forward, decode
    { count: 3000, scale: 5, inPlace: true, packed: true, act: 'gelu' },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    cases.push({ count: 1 + Math.floor(rng() * 20000), scale: 10 ** (rng() * 4 - 2), inPlace: rng() < 0.5, act: rng() < 0.5 ? 'gelu' : 'silu' }); // 1e-2 .. 1e2
  }
  return cases;
}

export async function checkSwiglu(device: GPUDevice, cases: SwigluCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new SwigluKernel(device, code);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed * 1000 + i);
    const g = fillNormal(new Float32Array(c.count), rng, c.scale);
    g.set(SPECIAL.slice(0, c.count));
    const u = fillNormal(new Float32Array(c.count), rng, 2);
    const q8 = q8Bytes(c.count);
    const upAt = c.packed ? Math.ceil(c.count / 64) * 64 + 64 : 0; // packed: up from here on in the same buffer
    const yElems = c.packed ? upAt + c.count : c.count;
    // output: y (packed: gate, a gap, up), then (with quant) xq and xd
    const { out, gpuError } = await runCase(device, [g, u], yElems + (c.quant ? (q8.q + q8.d) / 4 : 0), (rec, [bg, bu], by) => {
      if (c.inPlace) rec.encoder.copyBufferToBuffer(bg, 0, by, 0, g.byteLength);
      if (c.packed) rec.encoder.copyBufferToBuffer(bu, 0, by, upAt * 4, u.byteLength);
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const xq = device.createBuffer({ size: Math.max(16, q8.q), usage });
      const xd = device.createBuffer({ size: Math.max(16, q8.d), usage });
      const y = { buffer: by, offset: 0, size: Math.ceil(yElems / 4) * 16 };
      const packed = c.packed ? { buf: y, upAt } : undefined;
      kernel.encode(rec, { gate: c.inPlace ? y : bg, up: bu, y, count: c.count, act: c.act, q8: c.quant ? { xq, xd } : undefined, packed });
      if (c.quant) {
        rec.encoder.copyBufferToBuffer(xq, 0, by, yElems * 4, q8.q);
        rec.encoder.copyBufferToBuffer(xd, 0, by, yElems * 4 + q8.q, q8.d);
      }
    });
    const act = c.act ?? 'silu';
    const want = swigluCpu(g, u, c.count, act);
    const errScale = want.map((w, j) => Math.abs(w) * (1 + Math.abs(sigmoidArgument(g[j], act))));
    const y = out.subarray(0, c.count);
    let cmp = compare(y, want, 1e-30, SWIGLU_RTOL, errScale);
    if (cmp.ok && c.quant) cmp = compareQ8(y, new Int8Array(out.buffer, yElems * 4, c.count), new Float32Array(out.buffer, yElems * 4 + q8.q, q8.d / 4));
    results.push(caseResult(`${act} count=${c.count} scale=${c.scale.toPrecision(2)}${c.inPlace ? ' in place' : ''}${c.packed ? ' packed' : ''}${c.quant ? ' q8' : ''}`, cmp, gpuError));
  }
  return results;
}
