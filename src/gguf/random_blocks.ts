/**
 * Random quantized weights written straight as blocks: random integer parts and per-block scales chosen so
 * the dequantized values have mean ~0 and a given standard deviation. For benchmark models, whose speed
 * depends on the shapes and the types, not on the values: a 1B model is written in seconds, where
 * quantizing normal values (quant.ts, kquant.ts) takes minutes for the K-quants. The blocks are valid GGUF
 * data that llama.cpp and our decoders read alike.
 */
import { GgmlType, tensorBytes } from './ggml.ts';
import { f32ToF16Bits } from './half.ts';
import { packScaleMinK4 } from './kquant.ts';
import type { Rng } from '../util/rng.ts';

/** Types randomBlocks writes. */
export const RANDOM_BLOCK_TYPES: readonly GgmlType[] = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

/** Root mean square of (v - c) over the integers v in lo..hi, each equally likely. */
function rmsOver(lo: number, hi: number, c = 0): number {
  let s = 0;
  for (let v = lo; v <= hi; v++) s += (v - c) ** 2;
  return Math.sqrt(s / (hi - lo + 1));
}

/** An integer in lo..hi, uniform. */
const uniformInt = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

// Sub-block scales drawn from these ranges (Q4_K: six-bit; Q6_K: int8), so blocks differ as in real files.
const Q4K_SC: [number, number] = [32, 63];
const Q6K_SC: [number, number] = [64, 127];
const JITTER_RMS = Math.sqrt(0.75 ** 2 + 0.75 * 0.5 + 0.5 ** 2 / 3); // rms of 0.75 + 0.5 u, u uniform in [0, 1)

/**
 * `elems` values of type `type` (a multiple of its block) with standard deviation ~`std`, or undefined for
 * a type not in RANDOM_BLOCK_TYPES. Every byte comes from `rng`, so a seed gives the same data.
 *   Q8_0: d * int8, int8 uniform over -128..127;       Q4_0: d * (nibble - 8); d varies by block;
 *   Q4_K: d sc (nibble - 7.5), as d sc nibble - dmin m with m = sc and dmin = 7.5 d;
 *   Q6_K: d sc (q6 - 32), q6 uniform over 0..63, sc an int8 scale per 16 elements.
 */
export function randomBlocks(type: GgmlType, elems: number, std: number, rng: Rng): Uint8Array | undefined {
  if (!RANDOM_BLOCK_TYPES.includes(type)) return undefined;
  const out = new Uint8Array(tensorBytes(type, elems)); // throws for a count that is not whole blocks
  const words = new Uint32Array(out.buffer, 0, out.byteLength >> 2);
  for (let i = 0; i < words.length; i++) words[i] = (rng() * 4294967296) >>> 0;
  for (let i = words.length * 4; i < out.length; i++) out[i] = rng() * 256;
  const view = new DataView(out.buffer);
  const f16 = (at: number, v: number) => view.setUint16(at, f32ToF16Bits(v), true);
  switch (type) {
    case GgmlType.Q8_0:
    case GgmlType.Q4_0: {
      // each block's scale d j, j uniform in 0.75..1.25 (rms JITTER_RMS), so blocks differ as in real files
      const [bytes, rms] = type === GgmlType.Q8_0 ? [34, rmsOver(-128, 127)] : [18, rmsOver(-8, 7)];
      const d = std / (rms * JITTER_RMS);
      for (let p = 0; p < out.length; p += bytes) f16(p, d * (0.75 + 0.5 * rng()));
      break;
    }
    case GgmlType.Q4_K: {
      // rms of sc (q - 7.5) is rms(sc) rms(q - 7.5): the two are drawn independently
      const d = std / (rmsOver(...Q4K_SC) * rmsOver(0, 15, 7.5));
      const sc = new Uint8Array(8);
      for (let p = 0; p < out.length; p += 144) {
        f16(p, d);
        f16(p + 2, 7.5 * d);
        for (let s = 0; s < 8; s++) sc[s] = uniformInt(rng, ...Q4K_SC);
        packScaleMinK4(sc, sc, out, p + 4);
      }
      break;
    }
    case GgmlType.Q6_K: {
      const d = std / (rmsOver(...Q6K_SC) * rmsOver(0, 63, 32));
      for (let p = 0; p < out.length; p += 210) {
        for (let s = 0; s < 16; s++) view.setInt8(p + 192 + s, uniformInt(rng, ...Q6K_SC));
        f16(p + 208, d);
      }
      break;
    }
  }
  return out;
}
