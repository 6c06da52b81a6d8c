// Causal attention over the paged KV cache of one layer, for prefill (m tokens of one or more sequences,
// their own keys and values already written by rope_kv) and decode (one token per sequence):
//   out[t, h, :] = sum_{j0 <= j <= pos[t]} softmax_j(s_j) V[j, g, :],  s_j = cap(scale * q[t, h, :] . K[j, g, :])
//   where cap(s) = softcap * tanh(s / softcap) when softcap > 0 (gemma2), else s, and j0 = 0, or
//   pos[t] + 1 - window for a sliding-window layer (window > 0: the last `window` keys, gemma/Mistral),
//   where g = h / (nHead / nKvHead) (grouped-query attention) and key j of token t's sequence lives in
//   page pageTable[seqRow[t] * maxPages + j / pageSize], slot j % pageSize.
// q, out: [m][nHead][hd] f32; kCache, vCache: [nPages][pageSize][nKvHead][hd] f16, two to a u32 word, or f32
// (KV_F16 off; rope_kv.wgsl);
// pageTable: u32 [rows][maxPages]; seqRow, pos: u32 [m].
// One workgroup per (token, head); workgroups past 65535 spill into wg.y. The keys are taken in tiles of
// WG: each invocation scores one key (q, pre-scaled, is in workgroup memory), the workgroup reduces the
// tile's max and sum of exp(score - max), then each invocation accumulates its dimensions d = lid, lid+WG,
// .. of the output over the tile, rescaling the running sum and output when the max grows (online
// softmax, all f32 but the cached keys and values). hd <= MAX_HD; WG must be a power of two.

override WG: u32 = 64; // invocations per workgroup = keys per tile, a power of two
override KV_F16: bool = true; // the caches' element type: f16, else f32
const MAX_HD: u32 = 256u; // largest head dimension
const NEG_BIG: f32 = -3.0e38; // stands in for -infinity (exp(NEG_BIG - x) == 0)

struct Params {
  m: u32,         // tokens in the batch
  n_head: u32,    // query heads
  n_kv_head: u32, // key/value heads (divides n_head)
  hd: u32,        // head dimension, in elements (1..MAX_HD)
  page_size: u32, // tokens per page
  max_pages: u32, // entries per page-table row
  scale: f32,     // multiplier of q . k (unitless; 1/sqrt(hd) normally)
  softcap: f32,   // scores s -> softcap * tanh(s / softcap), unitless; 0: no capping
  window: u32,    // keys a query sees, counting itself (sliding window), in tokens; 0: all earlier keys
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_cache: array<u32>;
@group(0) @binding(3) var<storage, read> v_cache: array<u32>;
@group(0) @binding(4) var<storage, read> page_table: array<u32>;
@group(0) @binding(5) var<storage, read> seq_row: array<u32>;
@group(0) @binding(6) var<storage, read> pos: array<u32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// Element i of a cache: f16, the low (even i) or high half of word i / 2; f32, word i.
fn k_at(i: u32) -> f32 {
  if (KV_F16) {
    return unpack2x16float(k_cache[i >> 1u])[i & 1u];
  }
  return bitcast<f32>(k_cache[i]);
}

fn v_at(i: u32) -> f32 {
  if (KV_F16) {
    return unpack2x16float(v_cache[i >> 1u])[i & 1u];
  }
  return bitcast<f32>(v_cache[i]);
}

var<workgroup> q_sh: array<f32, MAX_HD>;  // q * scale
var<workgroup> acc: array<f32, MAX_HD>;   // output so far, unnormalised (invocation lid owns d = lid mod WG)
var<workgroup> red_max: array<f32, WG>;   // max reduction of the tile's scores
var<workgroup> red_sum: array<f32, WG>;   // sum reduction of the tile's weights
var<workgroup> p_sh: array<f32, WG>;      // weight exp(score - max) of each key of the tile
var<workgroup> row_sh: array<u32, WG>;    // element offset of each key's head row in the caches

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = wg.x + wg.y * nwg.x; // uniform across the workgroup
  if (idx >= params.m * params.n_head) {
    return;
  }
  let t = idx / params.n_head;
  let h = idx % params.n_head;
  let hd = params.hd;
  let g = h / (params.n_head / params.n_kv_head);
  let width = params.n_kv_head * hd;
  let table = seq_row[t] * params.max_pages;
  let n_keys = pos[t] + 1u;
  let first = select(0u, n_keys - params.window, params.window > 0u && n_keys > params.window); // first visible key
  let qo = idx * hd; // start of q[t, h, :] and out[t, h, :]

  for (var d = lid; d < hd; d += WG) {
    q_sh[d] = q[qo + d] * params.scale;
    acc[d] = 0.0;
  }
  workgroupBarrier();

  var run_max = NEG_BIG; // max score so far
  var run_sum = 0.0;     // sum of exp(score - run_max) so far
  for (var j0 = first; j0 < n_keys; j0 += WG) {
    let j = j0 + lid;
    var s = NEG_BIG;
    if (j < n_keys) {
      let page = page_table[table + j / params.page_size];
      let row = (page * params.page_size + j % params.page_size) * width + g * hd;
      row_sh[lid] = row;
      var dot = 0.0;
      for (var d = 0u; d < hd; d++) {
        dot += q_sh[d] * k_at(row + d);
      }
      s = dot;
      if (params.softcap > 0.0) {
        // tanh of a clamped argument: some drivers compute tanh through exp(2x), which overflows
        s = params.softcap * tanh(clamp(dot / params.softcap, -15.0, 15.0));
      }
    }
    red_max[lid] = s;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
      if (lid < stride) {
        red_max[lid] = max(red_max[lid], red_max[lid + stride]);
      }
      workgroupBarrier();
    }
    let new_max = max(run_max, red_max[0]);
    let p = select(0.0, exp(s - new_max), j < n_keys);
    p_sh[lid] = p;
    red_sum[lid] = p;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
      if (lid < stride) {
        red_sum[lid] += red_sum[lid + stride];
      }
      workgroupBarrier();
    }
    let corr = exp(run_max - new_max); // rescales what was summed under the old max
    run_sum = run_sum * corr + red_sum[0];
    run_max = new_max;

    let tile = min(WG, n_keys - j0);
    for (var d = lid; d < hd; d += WG) {
      var a = acc[d] * corr;
      for (var i = 0u; i < tile; i++) {
        a += p_sh[i] * v_at(row_sh[i] + d);
      }
      acc[d] = a;
    }
    workgroupBarrier(); // the next tile overwrites red_max, red_sum, p_sh and row_sh
  }

  let inv = 1.0 / run_sum;
  for (var d = lid; d < hd; d += WG) {
    out[qo + d] = acc[d] * inv;
  }
}
