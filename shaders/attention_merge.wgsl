// Decode attention split across workgroups, second half: combines the splits attention_split.wgsl wrote for
// each (token, head) into the output:
//   M = max_s mx_s,  out[t, h, :] = sum_s exp(mx_s - M) o_s[:] / sum_s exp(mx_s - M) l_s
// over the splits s < ceil(visible keys / C) of token t (the others were not written).
// part_o: [m][nHead][splits][hd] f32, part_ml: [m][nHead][splits][2] f32 (mx, l) of tokens t0 .. t0 + m;
// pos: u32 [all tokens]; out: [all tokens][nHead][hd] f32. One workgroup per PAIRS (token, head) pairs (past
// 65535 they spill into wg.y), taken one after another; for each, every invocation finds M and the
// denominator itself (a few splits), then writes dimensions lid, lid + WG, ..
// QUANT: the output is also quantized for the integer-dot matmul (the output projection) by q8_block
// (q8_block.wgsl, prepended by the wrapper), the 32-element blocks of a workgroup's heads by it (hd % 32 = 0):
// xq: [all tokens][nHead * hd / 4] u32, xd: [all tokens][nHead * hd / 32].

override WG: u32 = 64; // invocations per workgroup
const C: u32 = 128u;    // keys per split (as attention_split.wgsl)
override QUANT: bool = false; // also write the output quantized
override PAIRS: u32 = 1u;     // (token, head) pairs per workgroup: 1 on GPUs; 8 on software adapters, where
                              // each workgroup costs microseconds of setup (smollm2 prefill: merges 2.5x faster)

struct Params {
  m: u32,      // tokens of this dispatch
  n_head: u32, // query heads
  hd: u32,     // head dimension, in elements
  window: u32, // keys a query sees, counting itself, in tokens; 0: all earlier keys
  splits: u32, // splits per (token, head) in part_o / part_ml
  t0: u32,     // first token of this dispatch (part_o / part_ml hold tokens t0 .. t0 + m)
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> part_o: array<f32>;
@group(0) @binding(2) var<storage, read> part_ml: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> xq: array<u32>;
@group(0) @binding(6) var<storage, read_write> xd: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let first = (wg.x + wg.y * nwg.x) * PAIRS; // (token, head) pairs first .. first + PAIRS - 1 of the dispatch
  let pairs = params.m * params.n_head;
  if (first >= pairs) {
    return;
  }
  let last = min(first + PAIRS, pairs);
  for (var il = first; il < last; il++) {
    let t = params.t0 + il / params.n_head;
    let idx = params.t0 * params.n_head + il; // (token, head) in q and out
    let n_keys = pos[t] + 1u;
    let visible = select(n_keys, params.window, params.window > 0u && n_keys > params.window);
    let used = (visible + C - 1u) / C; // splits of this token
    let base = il * params.splits;
    var big = part_ml[base * 2u];
    for (var s = 1u; s < used; s++) {
      big = max(big, part_ml[(base + s) * 2u]);
    }
    var den = 0.0;
    for (var s = 0u; s < used; s++) {
      den += exp(part_ml[(base + s) * 2u] - big) * part_ml[(base + s) * 2u + 1u];
    }
    let inv = 1.0 / den;
    for (var d = lid; d < params.hd; d += WG) {
      var o = 0.0;
      for (var s = 0u; s < used; s++) {
        o += exp(part_ml[(base + s) * 2u] - big) * part_o[(base + s) * params.hd + d];
      }
      out[idx * params.hd + d] = o * inv;
    }
  }
  if (!QUANT) {
    return;
  }
  storageBarrier(); // a block's values were written by other invocations
  let blocks = params.hd / 32u;
  let out0 = (params.t0 * params.n_head + first) * params.hd; // the first pair's first element in out
  for (var blk = lid; blk < (last - first) * blocks; blk += WG) {
    let p = out0 + 32u * blk; // the block's first element
    var v: array<vec4<f32>, 8>;
    for (var j = 0u; j < 8u; j++) {
      v[j] = vec4<f32>(out[p + 4u * j], out[p + 4u * j + 1u], out[p + 4u * j + 2u], out[p + 4u * j + 3u]);
    }
    q8_store(p, v);
  }
}
