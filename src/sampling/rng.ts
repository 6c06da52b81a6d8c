/**
 * The random numbers of one request: xoshiro128** (Blackman & Vigna), 128-bit state, period 2^128 - 1,
 * built only from 32-bit integer ops (Math.imul, shifts), so the same seed gives the same sequence in Node
 * and every browser. Each draw is one 32-bit output / 2^32: a uniform in [0, 1) on a 2^-32 grid, which is
 * finer than any probability the sampler can tell apart in float32 logits.
 */
import type { Rng } from '../util/rng.ts';

/** murmur3's 32-bit finalizer: a bijection on u32 that spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/**
 * Returns successive uniforms in [0, 1) for a request. `seed` is any safe integer (OpenAI's `seed`):
 * its low and high 32 bits both reach the state, so distinct seeds give distinct streams. Without a seed
 * the state comes from crypto.getRandomValues.
 */
export function requestRng(seed?: number): Rng {
  let lo: number;
  let hi: number;
  if (seed === undefined) {
    const w = crypto.getRandomValues(new Uint32Array(2));
    lo = w[0];
    hi = w[1];
  } else {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    lo = seed >>> 0; // two's complement low word, also for negative seeds
    hi = Math.floor(seed / 4294967296) >>> 0;
  }
  // Every word depends on both halves (the first output reads only s1, so small seeds must differ there).
  // fmix32 is a bijection, so s0 determines lo and then s1 determines hi: distinct seeds, distinct states.
  // s0 = fmix32(lo) and s2 = fmix32(lo ^ C) cannot both be 0, so the all-zero state xoshiro must avoid never occurs.
  let s0 = fmix32(lo);
  let s1 = fmix32(hi ^ 0x9e3779b9 ^ s0);
  let s2 = fmix32(lo ^ 0x7f4a7c15);
  let s3 = fmix32(hi ^ 0x3c6ef372 ^ s2);
  return () => {
    const out = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return out / 4294967296;
  };
}
