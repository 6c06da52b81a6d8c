// Sampling prep for a decode step: per row of logits, the top k (logit, id) pairs, the max, and the
// log-sum-exp at temperature 1 and at 1 / inv_temp, so the host reads back O(k) words per row, not v.
// Three passes of this one module, chosen by the PASS override (one Params, one set of bindings):
//   PASS 0 (adjust): for each adj entry, IN PLACE: l[row, id] = (l > 0 ? l / r : l * r) - sub.
//            One invocation per entry (at most one entry per (row, id), so no two write one logit).
//   PASS 1 (slices): workgroup (row, s) takes logits s * slice .. (s + 1) * slice - 1 of its row and
//            writes its top k (key, id) and (max, sums of exp) to partial.
//   PASS 2 (merge):  workgroup `row` merges the n_slices partials of its row into out.
// logits: [rows][v] f32; adj: [n_adj] Adj;
// partial: [rows][n_slices][4 + 2k] u32 = (m, s1, st as f32 bits, 0, k keys, k ids);
// out: [rows][4 + 2k] u32 = (max, lse1, lseT as f32 bits, 0, k logits as f32 bits, k ids), where
//   lse1 = log sum_v exp(l_v), lseT = log sum_v exp(l_v * inv_temp); a row of only -inf has max = lse1 =
//   lseT = -inf and ids 0, 1, .. (all tie); slots past v (v < k) have id 0xffffffff and logit -inf.
// Order: logit descending, ties to the lower id, compared as u32 keys that order the f32 bit patterns
// (-0 counts as +0 and comes back as +0; -inf is a value like any other; NaN logits are not expected).
// Top k of a stream: the workgroup keeps list[0 .. 2WG) sorted, its first k the best k seen so far. Each
// chunk of WG items goes into list[WG ..] (items not better than list[k - 1] as empty slots) and, when
// one is better, a bitonic network sorts all 2WG. Sums of exp are (m, s1, st) triples, s1 = sum
// exp(l - m) and st = sum exp((l - m) * inv_temp), combined exactly at any max (online softmax, f32).
// k = 1 (greedy decoding) sorts nothing: each invocation keeps its best item in registers and one tree
// reduction, alongside the sums', finds the workgroup's (reduce_best).
// WG must be a power of two >= KMAX.

override WG: u32 = 256;  // invocations per workgroup, a power of two >= KMAX
override PASS: u32 = 1u; // 0 adjust, 1 slices, 2 merge
const KMAX: u32 = 64u;                 // largest k
const NEG_BIG: f32 = -3.0e38;          // max of a sum with no terms (finite, unlike -inf)
const EMPTY_KEY: u32 = 0u;             // an empty slot's key: below every logit's (-inf's is 0x007fffff)
const EMPTY_ID: u32 = 0xffffffffu;     // an empty slot's id (-1 as i32)
const NEG_INF_BITS: u32 = 0xff800000u; // -inf as f32 bits

struct Params {
  rows: u32,     // rows of logits (sequences), in rows
  v: u32,        // logits per row (vocabulary size), in elements
  k: u32,        // entries kept per row, 1..KMAX
  n_adj: u32,    // entries of adj
  slice: u32,    // logits per PASS 1 workgroup, in elements (a multiple of WG)
  n_slices: u32, // PASS 1 workgroups per row = ceil(v / slice)
  inv_temp: f32, // 1 / temperature (unitless, in [1e-6, 1e6])
  _pad: u32,
};

struct Adj {
  row: u32, // row of logits
  id: u32,  // token id (column of logits)
  r: f32,   // divides a positive logit, multiplies a negative one (unitless; 1 = none)
  sub: f32, // then subtracted, in logit units (+inf masks the token to -inf)
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read> adj: array<Adj>;
@group(0) @binding(3) var<storage, read_write> partial: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

var<workgroup> list_key: array<u32, 2u * WG>; // [0, k): the best k seen, in order; [WG, 2WG): a chunk
var<workgroup> list_id: array<u32, 2u * WG>;
var<workgroup> red: array<vec3<f32>, WG>;     // (m, s1, st) reduction
var<workgroup> best: array<vec2<u32>, WG>;    // (key, id) reduction, for k = 1
var<workgroup> fresh: atomic<u32>;            // set when the chunk has an item better than list[k - 1]
var<workgroup> fresh_any: u32;                // fresh, read out for workgroupUniformLoad

// A key whose u32 order is the f32 order of l.
fn order_key(l: f32) -> u32 {
  var b = bitcast<u32>(l);
  if (b == 0x80000000u) {
    b = 0u; // -0 as +0
  }
  return select(b | 0x80000000u, ~b, (b >> 31u) == 1u);
}

// The f32 bits of a key's logit.
fn key_bits(key: u32) -> u32 {
  return select(~key, key & 0x7fffffffu, key >= 0x80000000u);
}

// Whether (ka, ia) ranks before (kb, ib): the larger logit, then the lower id.
fn before(ka: u32, ia: u32, kb: u32, ib: u32) -> bool {
  return ka > kb || (ka == kb && ia < ib);
}

// exp(x) for x <= 0; below -200 exp is 0 in f32 anyway, and no driver sees huge arguments.
fn exp_neg(x: f32) -> f32 {
  return exp(max(x, -200.0));
}

// The (m, s1, st) of the union of two sets of logits (m = NEG_BIG with zero sums for none).
fn combine(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let m = max(a.x, b.x);
  let da = max(a.x - m, -1.0e30); // <= 0, and finite after scaling by inv_temp <= 1e6
  let db = max(b.x - m, -1.0e30);
  let t = params.inv_temp;
  return vec3(m, a.y * exp_neg(da) + b.y * exp_neg(db), a.z * exp_neg(da * t) + b.z * exp_neg(db * t));
}

// The workgroup's combined (m, s1, st), to every invocation.
fn reduce_sums(acc: vec3<f32>, lid: u32) -> vec3<f32> {
  red[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      red[lid] = combine(red[lid], red[lid + stride]);
    }
    workgroupBarrier();
  }
  return red[0];
}

// k = 1: the workgroup's combined (m, s1, st), to every invocation, and its best (key, id) in list[0].
fn reduce_best(acc: vec3<f32>, key: u32, id: u32, lid: u32) -> vec3<f32> {
  best[lid] = vec2(key, id);
  red[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      red[lid] = combine(red[lid], red[lid + stride]);
      let a = best[lid];
      let b = best[lid + stride];
      if (before(b.x, b.y, a.x, a.y)) {
        best[lid] = b;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) { // read by invocation 0 only (lid < k)
    list_key[0] = best[0].x;
    list_id[0] = best[0].y;
  }
  return red[0];
}

fn clear_list(lid: u32) {
  list_key[lid] = EMPTY_KEY;
  list_id[lid] = EMPTY_ID;
  list_key[WG + lid] = EMPTY_KEY;
  list_id[WG + lid] = EMPTY_ID;
  if (lid == 0u) {
    atomicStore(&fresh, 0u);
  }
  workgroupBarrier();
}

// Sorts list[0 .. 2WG) into `before` order: a bitonic network, one compare-exchange per invocation a step.
fn sort_list(lid: u32) {
  for (var size = 2u; size <= 2u * WG; size *= 2u) {
    for (var stride = size / 2u; stride > 0u; stride >>= 1u) {
      let i = 2u * lid - (lid & (stride - 1u)); // bit `stride` of i clear
      let j = i + stride;
      let ki = list_key[i];
      let ii = list_id[i];
      let kj = list_key[j];
      let ij = list_id[j];
      if (before(kj, ij, ki, ii) == ((i & size) == 0u)) { // blocks with bit `size` clear go in order
        list_key[i] = kj;
        list_id[i] = ij;
        list_key[j] = ki;
        list_id[j] = ii;
      }
      workgroupBarrier();
    }
  }
}

// Offers each invocation's item (EMPTY_KEY, EMPTY_ID for none) to the workgroup's best k.
fn offer(key: u32, id: u32, lid: u32) {
  let last = params.k - 1u;
  let better = before(key, id, list_key[last], list_id[last]);
  list_key[WG + lid] = select(EMPTY_KEY, key, better);
  list_id[WG + lid] = select(EMPTY_ID, id, better);
  if (better) {
    atomicStore(&fresh, 1u);
  }
  workgroupBarrier();
  if (lid == 0u) {
    fresh_any = atomicExchange(&fresh, 0u);
  }
  if (workgroupUniformLoad(&fresh_any) != 0u) {
    sort_list(lid);
  }
}

fn adjust(i: u32) {
  if (i >= params.n_adj) {
    return;
  }
  let a = adj[i];
  if (a.row >= params.rows || a.id >= params.v) {
    return;
  }
  let at = a.row * params.v + a.id;
  let l = logits[at];
  logits[at] = select(l * a.r, l / a.r, l > 0.0) - a.sub;
}

fn slices(idx: u32, lid: u32) {
  if (idx >= params.rows * params.n_slices) {
    return;
  }
  let row = idx / params.n_slices;
  let start = (idx % params.n_slices) * params.slice;
  let end = min(start + params.slice, params.v);
  let one = params.k == 1u;
  if (!one) {
    clear_list(lid);
  }
  var acc = vec3(NEG_BIG, 0.0, 0.0);
  var bk = EMPTY_KEY; // k = 1: this invocation's best
  var bi = EMPTY_ID;
  for (var c = start; c < end; c += WG) {
    let i = c + lid;
    var key = EMPTY_KEY;
    var id = EMPTY_ID;
    if (i < end) {
      let l = logits[row * params.v + i];
      key = order_key(l);
      id = i;
      if (l > NEG_BIG) { // -inf adds nothing
        acc = combine(acc, vec3(l, 1.0, 1.0));
      }
    }
    if (one) {
      if (before(key, id, bk, bi)) {
        bk = key;
        bi = id;
      }
    } else {
      offer(key, id, lid);
    }
  }
  var sums: vec3<f32>;
  if (one) {
    sums = reduce_best(acc, bk, bi, lid);
  } else {
    sums = reduce_sums(acc, lid);
  }
  let p = idx * (4u + 2u * params.k);
  if (lid == 0u) {
    partial[p] = bitcast<u32>(sums.x);
    partial[p + 1u] = bitcast<u32>(sums.y);
    partial[p + 2u] = bitcast<u32>(sums.z);
    partial[p + 3u] = 0u;
  }
  if (lid < params.k) {
    partial[p + 4u + lid] = list_key[lid];
    partial[p + 4u + params.k + lid] = list_id[lid];
  }
}

fn merge(row: u32, lid: u32) {
  if (row >= params.rows) {
    return;
  }
  let stride = 4u + 2u * params.k; // words per partial and per out row
  let first = row * params.n_slices; // the row's first partial
  let one = params.k == 1u;
  if (!one) {
    clear_list(lid);
  }
  var acc = vec3(NEG_BIG, 0.0, 0.0);
  var bk = EMPTY_KEY; // k = 1: the best of this invocation's partials
  var bi = EMPTY_ID;
  for (var s = lid; s < params.n_slices; s += WG) {
    let p = (first + s) * stride;
    acc = combine(acc, vec3(bitcast<f32>(partial[p]), bitcast<f32>(partial[p + 1u]), bitcast<f32>(partial[p + 2u])));
    if (one && before(partial[p + 4u], partial[p + 4u + params.k], bk, bi)) {
      bk = partial[p + 4u];
      bi = partial[p + 4u + params.k];
    }
  }
  var sums: vec3<f32>;
  if (one) {
    sums = reduce_best(acc, bk, bi, lid);
  } else {
    sums = reduce_sums(acc, lid);
  }
  // rank-major: item j is entry j / n_slices of partial j % n_slices, so the lists' best come first
  // and the later chunks seldom have an item to sort in
  let n = select(params.n_slices * params.k, 0u, one);
  for (var c = 0u; c < n; c += WG) {
    let j = c + lid;
    var key = EMPTY_KEY;
    var id = EMPTY_ID;
    if (j < n) {
      let p = (first + j % params.n_slices) * stride + 4u + j / params.n_slices;
      key = partial[p];
      id = partial[p + params.k];
    }
    offer(key, id, lid);
  }
  let o = row * stride;
  if (lid == 0u) {
    let finite = sums.y > 0.0; // some logit above -inf
    out[o] = key_bits(list_key[0]);
    out[o + 1u] = select(NEG_INF_BITS, bitcast<u32>(sums.x + log(sums.y)), finite);
    out[o + 2u] = select(NEG_INF_BITS, bitcast<u32>(sums.x * params.inv_temp + log(sums.z)), finite);
    out[o + 3u] = 0u;
  }
  if (lid < params.k) {
    let key = list_key[lid];
    out[o + 4u + lid] = select(key_bits(key), NEG_INF_BITS, key == EMPTY_KEY);
    out[o + 4u + params.k + lid] = list_id[lid];
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = wg.x + wg.y * nwg.x; // uniform across the workgroup
  if (PASS == 0u) {
    adjust(idx * WG + lid);
  } else if (PASS == 1u) {
    slices(idx, lid);
  } else {
    merge(idx, lid);
  }
}
