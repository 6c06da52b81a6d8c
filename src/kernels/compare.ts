/**
 * Element-wise comparison of a kernel's output with its CPU twin: |got - want| <= atol + rtol * scale[i],
 * where scale defaults to |want|. Reductions pass scale = sum of |terms|, the size rounding error grows with.
 */
export interface Comparison {
  ok: boolean;
  maxAbsErr: number;
  worstIndex: number; // index of the largest violation (or largest error when ok)
  mismatches: number; // elements outside tolerance, NaN/Inf mismatches included
}

export function compare(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, scale?: ArrayLike<number>): Comparison {
  if (got.length !== want.length) return { ok: false, maxAbsErr: Infinity, worstIndex: -1, mismatches: Math.abs(got.length - want.length) };
  let maxAbsErr = 0;
  let worstIndex = -1;
  let worstExcess = -Infinity;
  let mismatches = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const excess = Number.isFinite(err) ? err - (atol + rtol * (scale ? scale[i] : Math.abs(want[i]))) : Infinity;
    if (Number.isFinite(err) && err > maxAbsErr) maxAbsErr = err;
    if (!(excess <= 0)) mismatches++;
    if (excess > worstExcess) {
      worstExcess = excess;
      worstIndex = i;
    }
  }
  return { ok: mismatches === 0, maxAbsErr, worstIndex, mismatches };
}

/** Word-for-word equality (integer results, or floats bit for bit: -0 against +0 and flushed subnormals count). */
export function compareBits(got: Uint32Array, want: Uint32Array): Comparison {
  let mismatches = 0;
  let worstIndex = -1;
  for (let j = 0; j < Math.max(got.length, want.length); j++) {
    if (got[j] !== want[j]) {
      mismatches++;
      if (worstIndex < 0) worstIndex = j;
    }
  }
  return { ok: mismatches === 0, maxAbsErr: mismatches ? Infinity : 0, worstIndex, mismatches };
}
