/**
 * Partial selection over candidate lists, so the sampler never sorts the whole vocabulary (V ~ 150k).
 *
 * A candidate list is two parallel arrays over positions 0..n-1: `key[j]` (a logit or an unnormalized
 * probability) and `idx[j]` (its token id). The canonical order is key descending, ties to the lower id:
 * a total order, so every selection below is deterministic. Functions rearrange positions in place.
 */

/** True when position a comes before position b in the canonical order. */
const before = (key: Float64Array, idx: Int32Array, a: number, b: number): boolean => key[a] > key[b] || (key[a] === key[b] && idx[a] < idx[b]);

function swap(key: Float64Array, idx: Int32Array, a: number, b: number): void {
  const k = key[a];
  key[a] = key[b];
  key[b] = k;
  const i = idx[a];
  idx[a] = idx[b];
  idx[b] = i;
}

/**
 * Partitions positions [lo, hi) (hi - lo >= 3) around a median-of-three pivot: afterwards [lo, p) come
 * before the pivot, p holds it, (p, hi) come after. Returns p.
 */
function partition(key: Float64Array, idx: Int32Array, lo: number, hi: number): number {
  const last = hi - 1;
  const mid = (lo + hi) >>> 1;
  // Order lo, mid, last so that the median lands on mid, then park it at `last`.
  if (before(key, idx, mid, lo)) swap(key, idx, mid, lo);
  if (before(key, idx, last, lo)) swap(key, idx, last, lo);
  if (before(key, idx, last, mid)) swap(key, idx, last, mid);
  swap(key, idx, mid, last);
  const pk = key[last];
  const pi = idx[last];
  let store = lo;
  for (let j = lo; j < last; j++) {
    const k = key[j];
    if (k > pk || (k === pk && idx[j] < pi)) {
      if (j !== store) swap(key, idx, j, store);
      store++;
    }
  }
  swap(key, idx, store, last);
  return store;
}

/** Sorts positions [lo, hi) into canonical order (insertion sort, for the short ranges quickselect ends on). */
function sortRange(key: Float64Array, idx: Int32Array, lo: number, hi: number): void {
  for (let j = lo + 1; j < hi; j++) {
    const k = key[j];
    const i = idx[j];
    let t = j - 1;
    while (t >= lo && (key[t] < k || (key[t] === k && idx[t] > i))) {
      key[t + 1] = key[t];
      idx[t + 1] = idx[t];
      t--;
    }
    key[t + 1] = k;
    idx[t + 1] = i;
  }
}

const SMALL = 16; // below this many positions, sorting beats partitioning

/**
 * Top-k of a logit array in one pass: a size-k min-heap (its root is the worst kept token) that most
 * logits fail to enter with a single comparison. Writes the kept logits and ids to positions [0, n) of
 * (key, idx), in heap order, and returns n = min(k, number of logits > -inf). NaN and -inf are skipped.
 */
export function topK(logits: Float32Array, k: number, key: Float64Array, idx: Int32Array): number {
  let n = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i];
    if (!(l > -Infinity)) continue;
    if (n < k) {
      // Sift up: a parent must come after its children in canonical order (worst at the root).
      let c = n++;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (key[parent] < l) break; // an equal parent has a lower id, so it is the better one: swap
        key[c] = key[parent];
        idx[c] = idx[parent];
        c = parent;
      }
      key[c] = l;
      idx[c] = i;
    } else if (l > key[0]) {
      // Replace the root (equal logits at a higher id lose) and sift down.
      let c = 0;
      for (;;) {
        let child = 2 * c + 1;
        if (child >= n) break;
        if (child + 1 < n && before(key, idx, child, child + 1)) child++; // the worse child
        if (!(key[child] < l || (key[child] === l && idx[child] > i))) break;
        key[c] = key[child];
        idx[c] = idx[child];
        c = child;
      }
      key[c] = l;
      idx[c] = i;
    }
  }
  return n;
}

/**
 * Nucleus selection: rearranges [0, n) so that [0, m) is the shortest prefix of the canonical order whose
 * key sum reaches `target`, and returns m (n if the whole list falls short, e.g. by rounding).
 * Expected O(n): each round sums one side of a partition and recurses into the side holding the boundary.
 */
export function selectMass(key: Float64Array, idx: Int32Array, n: number, target: number): number {
  let lo = 0;
  let hi = n;
  let acc = 0; // key sum of positions [0, lo), all of which come before everything in [lo, hi)
  while (hi - lo > SMALL) {
    const p = partition(key, idx, lo, hi);
    let left = 0;
    for (let j = lo; j < p; j++) left += key[j];
    if (acc + left >= target) {
      hi = p; // the boundary lies inside [lo, p)
      continue;
    }
    acc += left + key[p];
    if (acc >= target) return p + 1;
    lo = p + 1;
  }
  sortRange(key, idx, lo, hi);
  for (let j = lo; j < hi; j++) {
    acc += key[j];
    if (acc >= target) return j + 1;
  }
  return hi;
}
