import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../util/rng.ts';
import { selectMass, topK } from './select.ts';

/** Ids of `values` in canonical order: value descending, ties to the lower id. */
const canonical = (values: ArrayLike<number>): number[] => Array.from(values, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);

/** Random values with many ties (quantized) or all distinct, plus sorted inputs (quickselect's classic worst case). */
function inputs(): Float32Array[] {
  const rng = mulberry32(21);
  const out: Float32Array[] = [];
  for (const n of [1, 2, 5, 16, 17, 100, 3000]) {
    out.push(Float32Array.from({ length: n }, () => rng() * 10));
    out.push(Float32Array.from({ length: n }, () => Math.floor(rng() * 4)));
    out.push(Float32Array.from({ length: n }, (_, i) => i));
    out.push(Float32Array.from({ length: n }, (_, i) => -i));
  }
  return out;
}

describe('partial selection', () => {
  test('topK keeps exactly the first k of the canonical order (ties to the lower id), skipping NaN and -inf', () => {
    for (const values of inputs()) {
      for (const k of [1, 2, 7, 16, 50, values.length]) {
        const key = new Float64Array(values.length);
        const idx = new Int32Array(values.length);
        const n = topK(values, k, key, idx);
        expect(n).toBe(Math.min(k, values.length));
        const got = Array.from(idx.subarray(0, n)).sort((a, b) => a - b);
        expect(got).toEqual(canonical(values).slice(0, n).sort((a, b) => a - b));
        for (let j = 0; j < n; j++) expect(key[j]).toBe(values[idx[j]]);
      }
    }
    const withHoles = Float32Array.of(Number.NaN, 1, -Infinity, 3, Number.NaN);
    const key = new Float64Array(5);
    const idx = new Int32Array(5);
    expect(topK(withHoles, 4, key, idx)).toBe(2);
    expect(new Set(idx.subarray(0, 2))).toEqual(new Set([1, 3]));
  });

  test('selectMass returns the shortest canonical prefix reaching the target', () => {
    const rng = mulberry32(22);
    for (const values of inputs()) {
      const positive = values.map((v) => Math.abs(v) + 0.01);
      const order = canonical(positive);
      const total = positive.reduce((a, b) => a + b, 0);
      for (const frac of [0.01, 0.3, 0.5, 0.9, 0.999, rng()]) {
        const target = frac * total;
        let cum = 0;
        const want = order.findIndex((i) => (cum += positive[i]) >= target) + 1;
        const key = Float64Array.from(positive);
        const idx = Int32Array.from(positive, (_, i) => i);
        const m = selectMass(key, idx, key.length, target);
        expect(m).toBe(want);
        expect(Array.from(idx.subarray(0, m)).sort((a, b) => a - b)).toEqual(order.slice(0, m).sort((a, b) => a - b));
      }
    }
  });
});
