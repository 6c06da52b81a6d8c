/**
 * CPU twin of shaders/quantize_q8.wgsl: 32-element blocks of x -> d = max|x| / 127, q = round(x * (1 / d))
 * (halfway to even, as WGSL's round), in f32 arithmetic like the kernel; sum = the block's sum of q.
 */
export interface Q8Blocks {
  q: Int8Array; // [count]
  d: Float32Array; // [count / 32]
  sum: Int32Array; // [count / 32]
}

/** Rounds halfway cases to the even neighbour. */
export function roundEven(v: number): number {
  const r = Math.round(v); // halfway up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function quantizeQ8Cpu(x: Float32Array): Q8Blocks {
  if (x.length % 32 !== 0) throw new Error(`quantizeQ8Cpu: ${x.length} elements is not a whole number of blocks`);
  const nb = x.length / 32;
  const out: Q8Blocks = { q: new Int8Array(x.length), d: new Float32Array(nb), sum: new Int32Array(nb) };
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let i = 32 * b; i < 32 * b + 32; i++) amax = Math.max(amax, Math.abs(x[i]));
    const d = Math.fround(amax / 127);
    const id = d > 0 ? Math.fround(1 / d) : 0;
    let sum = 0;
    for (let i = 32 * b; i < 32 * b + 32; i++) {
      const q = Math.max(-127, Math.min(127, roundEven(Math.fround(x[i] * id))));
      out.q[i] = q;
      sum += q;
    }
    out.d[b] = d;
    out.sum[b] = sum;
  }
  return out;
}

/** The blocks as the kernel lays them out: xq words (four int8 each, lowest byte first) and (d, sum) pairs. */
export function packQ8(b: Q8Blocks): { xq: Uint32Array; xd: Float32Array } {
  const xd = new Float32Array(2 * b.d.length);
  b.d.forEach((d, i) => xd.set([d, b.sum[i]], 2 * i));
  return { xq: new Uint32Array(b.q.buffer.slice(b.q.byteOffset, b.q.byteOffset + b.q.byteLength)), xd };
}
