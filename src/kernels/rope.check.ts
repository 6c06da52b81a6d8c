/**
 * The rope kernel checked against its CPU twin (f64 angles): both pairings, head sizes 8, 64 and 128,
 * positions up to ~4k and up to 128k, with and without frequency factors.
 *
 * Tolerance: an output is a rotation of its pair (x0, x1), so its error is at most |x0| + |x1| times
 * (error of sin and cos + rounding of the rotation). The kernel reduces the angle exactly to a rest in
 * [-pi/4, pi/4) that only its f32 conversion rounds (<= 1.4e-7 rad); its polynomial sin/cos add
 * <= 1.8e-7 and the rotation's three roundings <= 1.2e-7: |err| <= 4.4e-7 * (|x0| + |x1|) on any driver,
 * at any position (measured: 1.6e-7 on lavapipe and SwiftShader alike). An f32 angle pos * freq would
 * instead be off by up to theta * 6e-8 (2.4e-4 at position 4000), and the builtin sin/cos of
 * SwiftShader by ~2e-4 even on [-pi, pi].
 */
import type { RopeStyle } from '../model/hparams.ts';
import { fillNormal, mulberry32 } from '../util/rng.ts';
import { caseResult, runCase, type CaseResult } from './check.ts';
import { compare } from './compare.ts';
import { RopeKernel } from './rope.ts';
import { ropeCpu } from './rope.cpu.ts';

export interface RopeCase {
  m: number; // tokens
  heads: number;
  hd: number;
  base: number;
  style: RopeStyle;
  maxPos: number; // positions are drawn from 0 .. maxPos (token 0 gets maxPos)
  factors: boolean; // random frequency factors in [1/4, 16), with 1 and 8 exactly among them
  nRot?: number; // partial rotary (phi-4-mini): the first nRot dimensions of each head
  scale?: number; // linear scaling (gemma3's global layers: 1/8)
  mscale?: number; // phi3's attn_factor
}

export const ROPE_RTOL = 5e-7; // of |x0| + |x1| of the pair

export function ropeCases(seed: number, random = 6): RopeCase[] {
  const cases: RopeCase[] = [
    { m: 1, heads: 1, hd: 8, base: 10000, style: 'adjacent', maxPos: 0, factors: false }, // position 0: unchanged
    { m: 3, heads: 2, hd: 8, base: 10000, style: 'halves', maxPos: 4000, factors: false },
    { m: 5, heads: 4, hd: 64, base: 10000, style: 'adjacent', maxPos: 4096, factors: false },
    { m: 4, heads: 3, hd: 128, base: 1e6, style: 'halves', maxPos: 4096, factors: false },
    { m: 3, heads: 2, hd: 128, base: 500000, style: 'adjacent', maxPos: 4096, factors: true }, // llama3
    { m: 3, heads: 2, hd: 64, base: 1e6, style: 'halves', maxPos: 4000, factors: true },
    { m: 2, heads: 2, hd: 128, base: 10000, style: 'adjacent', maxPos: 131071, factors: false }, // 128k context
    { m: 2, heads: 1, hd: 128, base: 500000, style: 'halves', maxPos: 131071, factors: true },
    { m: 70, heads: 2, hd: 64, base: 1e6, style: 'halves', maxPos: 100, factors: false }, // a prefill
    { m: 5, heads: 3, hd: 128, base: 10000, style: 'halves', maxPos: 4000, factors: true, nRot: 96, mscale: 1.19 }, // phi-4-mini: 3/4 rotated
    { m: 4, heads: 2, hd: 256, base: 1e6, style: 'halves', maxPos: 30000, factors: false, scale: 0.125 }, // gemma3 global layer
    { m: 3, heads: 2, hd: 32, base: 10000, style: 'adjacent', maxPos: 500, factors: false, nRot: 8, scale: 0.25, mscale: 0.9 },
    { m: 1, heads: 9, hd: 64, base: 10000, style: 'adjacent', maxPos: 700, factors: false }, // q of a decode step
    { m: 3, heads: 3, hd: 96, base: 1e6, style: 'halves', maxPos: 2000, factors: false, nRot: 64 },
    // more (token, pair) invocations than 65535 workgroups of 64 hold: exercises the wg.y spill
    { m: 66000, heads: 1, hd: 128, base: 10000, style: 'halves', maxPos: 131071, factors: false },
  ];
  const rng = mulberry32(seed);
  for (let i = 0; i < random; i++) {
    cases.push({
      m: 1 + Math.floor(rng() * 20),
      heads: 1 + Math.floor(rng() * 8),
      hd: 2 * (1 + Math.floor(rng() * 80)),
      base: [10000, 500000, 1e6][Math.floor(rng() * 3)],
      style: rng() < 0.5 ? 'adjacent' : 'halves',
      maxPos: Math.floor(rng() * 8192),
      factors: rng() < 0.5,
      nRot: rng() < 0.3 ? 2 * (1 + Math.floor(rng() * 40)) : undefined, // clipped to hd below
      scale: rng() < 0.3 ? 2 ** (-Math.floor(rng() * 4)) : undefined,
      mscale: rng() < 0.3 ? 0.5 + rng() : undefined,
    });
    const c = cases[cases.length - 1];
    if (c.nRot !== undefined) c.nRot = Math.min(c.nRot, c.hd);
  }
  return cases;
}

export async function checkRope(device: GPUDevice, cases: RopeCase[], seed = 1, code?: string): Promise<CaseResult[]> {
  const kernel = new RopeKernel(device, code);
  const results: CaseResult[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      const rng = mulberry32(seed * 1000 + i);
      const n = c.m * c.heads * c.hd;
      const x = fillNormal(new Float32Array(n), rng, 1);
      if (n > 8) x[Math.floor(rng() * n)] *= 20; // an outlier, as real activations have
      const pos = new Uint32Array(c.m).map(() => Math.floor(rng() * (c.maxPos + 1)));
      pos[0] = c.maxPos;
      const nRot = c.nRot ?? c.hd;
      const factors = c.factors ? new Float32Array(nRot / 2).map(() => 2 ** (rng() * 6 - 2)) : undefined;
      if (factors) factors.set(factors.length > 1 ? [1, 8] : [8], 0);
      const inputs: ArrayBufferView[] = [x, pos, ...(factors ? [factors] : [])];
      const { out, gpuError } = await runCase(device, inputs, n, (rec, [bx, bpos, bf], by) => {
        rec.encoder.copyBufferToBuffer(bx, 0, by, 0, x.byteLength); // rotated in place
        kernel.encode(rec, { x: by, pos: bpos, m: c.m, heads: c.heads, hd: c.hd, nRot, base: c.base, scale: c.scale, mscale: c.mscale, style: c.style, freqFactors: bf });
      });
      const o = { base: c.base, style: c.style, nRot, scale: c.scale, attnFactor: c.mscale, freqFactors: factors };
      const want = ropeCpu(x, pos, c.m, c.heads, c.hd, o);
      const extra = `${nRot < c.hd ? ` nRot=${nRot}` : ''}${c.scale ? ` scale=${c.scale}` : ''}${c.mscale ? ` mscale=${c.mscale.toFixed(2)}` : ''}`;
      const name = `m=${c.m} heads=${c.heads} hd=${c.hd} base=${c.base} ${c.style} maxPos=${c.maxPos}${factors ? ' factors' : ''}${extra}`;
      // unrotated dimensions have magnitude 0 here: they must come back exactly
      const mags = pairMagnitudes(x, c.hd, nRot, c.style);
      mags.forEach((v, i) => (mags[i] = v * (c.mscale ?? 1)));
      results.push(caseResult(name, compare(out, want, 0, ROPE_RTOL, mags), gpuError));
    }
  } finally {
    kernel.destroy();
  }
  return results;
}

/** |x0| + |x1| of the pair each element belongs to (0 past nRot): the scale of its rotation error. */
export function pairMagnitudes(x: Float32Array, hd: number, nRot: number, style: RopeStyle): Float32Array {
  const s = new Float32Array(x.length);
  const half = nRot / 2;
  for (let h = 0; h < x.length; h += hd) {
    for (let i = 0; i < half; i++) {
      const [a, b] = style === 'adjacent' ? [h + 2 * i, h + 2 * i + 1] : [h + i, h + i + half];
      s[a] = s[b] = Math.abs(x[a]) + Math.abs(x[b]);
    }
  }
  return s;
}
