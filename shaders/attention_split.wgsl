// Decode attention split across workgroups (flash-decoding), first half: the visible keys of each token are
// cut into splits of C keys, and one workgroup takes one (split, kv head, token). It computes, for each of
// the G = n_head / n_kv_head query heads sharing that kv head, the split's share of the softmax:
//   s_j = cap(scale * q[t, h, :] . K[j, g, :]),  mx = max_j s_j,  l = sum_j exp(s_j - mx),
//   o[:] = sum_j exp(s_j - mx) V[j, g, :]            over keys j of the split
// and writes (mx, l) to part_ml and o to part_o; attention_merge.wgsl combines the splits of a (token, head).
// Keys and values are read once for all G heads, four at a time; no barrier depends on the number of keys.
// Visible keys of token t: first .. pos[t], first = 0, or pos[t] + 1 - window (sliding window); key j of
// token t's sequence lives in page pageTable[seqRow[t] * maxPages + j / pageSize], slot j % pageSize.
// q: [m][nHead][hd] f32; kCache, vCache: [nPages][pageSize][nKvHead][hd] f16 (or f32 with KV_F16 off;
// rope_kv.wgsl), read four elements at a time; hd a multiple of 4, <= 4 WG;
// G <= MAX_G. A dispatch takes tokens t0 .. t0 + its wg.z count; part_o: [those tokens][nHead][splits][hd]
// f32, part_ml: [those tokens][nHead][splits][2] f32.
// Workgroup: the G heads' queries into red; scores, C / WG keys per invocation, into sc; then invocations
// h < G find each head's max and turn scores into weights; then invocation (kg, d4) sums weights *
// V[.., 4 d4 ..] over keys kg, kg + KG, .. for every head (KG = WG / (hd / 4) key groups), and invocations of
// group 0 add the groups' sums up.

override WG: u32 = 64; // invocations per workgroup
override KV_F16: bool = true; // the caches' element type: f16, else f32
const C: u32 = 128u;    // keys per split
const MAX_G: u32 = 8u;  // most query heads per kv head
override G: u32 = 1u;   // query heads per kv head (n_head / n_kv_head, <= MAX_G): a pipeline constant, so the
                        // loops over heads have a fixed count and their arrays can stay in registers

struct Params {
  m: u32,         // tokens in the batch
  n_head: u32,    // query heads
  n_kv_head: u32, // key/value heads (divides n_head; n_head / n_kv_head <= MAX_G)
  hd: u32,        // head dimension, in elements (a multiple of 4, <= 4 * WG)
  page_size: u32, // tokens per page
  max_pages: u32, // entries per page-table row
  scale: f32,     // multiplier of q . k (unitless; 1/sqrt(hd) normally)
  softcap: f32,   // scores s -> softcap * tanh(s / softcap), unitless; 0: no capping
  window: u32,    // keys a query sees, counting itself (sliding window), in tokens; 0: all earlier keys
  splits: u32,    // splits per (token, head) in part_o / part_ml (= workgroups along x)
  t0: u32,        // first token of this dispatch (wg.z = its tokens t0 ..; part_o / part_ml hold only these)
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k_cache: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> v_cache: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> page_table: array<u32>;
@group(0) @binding(5) var<storage, read> seq_row: array<u32>;
@group(0) @binding(6) var<storage, read> pos: array<u32>;
@group(0) @binding(7) var<storage, read_write> part_o: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> part_ml: array<f32>;

// Elements 4i .. 4i + 3 of a cache, as f32: one vec2<u32> of four f16, or two of two f32.
fn k4(i: u32) -> vec4<f32> {
  if (KV_F16) {
    let w = k_cache[i];
    return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
  }
  return vec4<f32>(bitcast<vec2<f32>>(k_cache[2u * i]), bitcast<vec2<f32>>(k_cache[2u * i + 1u]));
}

fn v4(i: u32) -> vec4<f32> {
  if (KV_F16) {
    let w = v_cache[i];
    return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
  }
  return vec4<f32>(bitcast<vec2<f32>>(v_cache[2u * i]), bitcast<vec2<f32>>(v_cache[2u * i + 1u]));
}

var<workgroup> sc: array<f32, MAX_G * C>;            // [G][C] scores, then weights exp(s - mx)
var<workgroup> row_sh: array<u32, C>;                // offset of each key's head row in the caches, in units of 4 elements
var<workgroup> red: array<vec4<f32>, MAX_G * WG>;    // [G][hd / 4] the queries while scoring (read from here, not
                                                     // storage, ~10% faster on lavapipe), then [key group][G][hd / 4]
                                                     // each key group's sums

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = wg.x;
  let g = wg.y;
  let tl = wg.z; // token within the dispatch (its rows of part_o, part_ml)
  let t = params.t0 + tl;
  let group = G;
  let hd4 = params.hd / 4u;
  let n_keys = pos[t] + 1u;
  let first = select(0u, n_keys - params.window, params.window > 0u && n_keys > params.window);
  let j0 = first + s * C; // this split's first key
  if (j0 >= n_keys) {
    return; // uniform: past this token's keys (the merge reads only its own splits)
  }
  let cnt = min(C, n_keys - j0);
  let table = seq_row[t] * params.max_pages;
  let width4 = params.n_kv_head * hd4;

  let qbase = (t * params.n_head + g * group) * hd4; // the token's G heads, [G][hd / 4] vec4s
  for (var i = lid; i < group * hd4; i += WG) {
    red[i] = q[qbase + i];
  }
  workgroupBarrier();

  for (var i = lid; i < cnt; i += WG) {
    let j = j0 + i;
    let page = page_table[table + j / params.page_size];
    let row = (page * params.page_size + j % params.page_size) * width4 + g * hd4;
    row_sh[i] = row;
    var dots = array<f32, MAX_G>(); // explicitly zeroed: declared without a value, it kept the last key's sums (lavapipe)
    for (var d4 = 0u; d4 < hd4; d4++) {
      let kv = k4(row + d4);
      for (var hh = 0u; hh < group; hh++) {
        dots[hh] += dot(red[hh * hd4 + d4], kv);
      }
    }
    for (var hh = 0u; hh < group; hh++) {
      var sv = dots[hh] * params.scale;
      if (params.softcap > 0.0) {
        // tanh of a clamped argument: some drivers compute tanh through exp(2x), which overflows
        sv = params.softcap * tanh(clamp(sv / params.softcap, -15.0, 15.0));
      }
      sc[hh * C + i] = sv;
    }
  }
  workgroupBarrier();

  if (lid < group) { // one invocation per head: max, then weights and their sum, over the split's keys
    var mx = sc[lid * C];
    for (var i = 1u; i < cnt; i++) {
      mx = max(mx, sc[lid * C + i]);
    }
    var l = 0.0;
    for (var i = 0u; i < cnt; i++) {
      let p = exp(sc[lid * C + i] - mx);
      sc[lid * C + i] = p;
      l += p;
    }
    let at = ((tl * params.n_head + g * group + lid) * params.splits + s) * 2u;
    part_ml[at] = mx;
    part_ml[at + 1u] = l;
  }
  workgroupBarrier();

  let kgs = WG / hd4; // key groups
  let d4 = lid % hd4;
  let kg = lid / hd4;
  var acc: array<vec4<f32>, MAX_G>;
  if (kg < kgs) {
    for (var i = kg; i < cnt; i += kgs) {
      let vv = v4(row_sh[i] + d4);
      for (var hh = 0u; hh < group; hh++) {
        acc[hh] += sc[hh * C + i] * vv;
      }
    }
  }
  if (kg < kgs) {
    for (var hh = 0u; hh < group; hh++) {
      red[(kg * group + hh) * hd4 + d4] = acc[hh];
    }
  }
  workgroupBarrier();
  if (kg == 0u) {
    for (var hh = 0u; hh < group; hh++) {
      var o = red[hh * hd4 + d4];
      for (var k = 1u; k < kgs; k++) {
        o += red[(k * group + hh) * hd4 + d4];
      }
      part_o[((tl * params.n_head + g * group + hh) * params.splits + s) * hd4 + d4] = o;
    }
  }
}
