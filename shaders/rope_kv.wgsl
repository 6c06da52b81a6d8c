// Rotary position embedding of q and k and the KV cache write of k and v, in one dispatch. For token t at
// position p = pos[t], head dimension hd, and pair i of the first n_rot dimensions (the angle theta_i(p) and
// the pairing exactly as rope.wgsl, whose angle functions are prepended: rope_turns.wgsl):
//   q[t][h] rotated in place;
//   kCache[page][slot][kh * hd + d] = f16(rope(k[t][kh])[d]), vCache[..] = f16(v[t][kh][d]), at
//   page = pageTable[seqRow[t] * maxPages + p / pageSize], slot = p % pageSize.
// k itself is left as it was: attention reads keys from the cache only.
// x: q [m][heads][hd] from element 0, k [m][kv_heads][hd] from element k_at, v [m][kv_heads][hd] from v_at
// (regions of one buffer: the forward's q|k|v); caches [nPages][pageSize][kv_heads * hd] f16, two to a u32
// word (element 2j in the low half, as pack2x16float), or with KV_F16 off f32; pageTable u32 [rows][maxPages];
// seqRow, pos u32 [m]; turns [n_rot/2] vec2<u32>; aux f32: the frequency factors [n_rot/2] from element 0
// (read only when FACTORS, as rope.wgsl) and, with QK_NORM, q_norm [hd] from norm_at and k_norm [hd] after it.
//
// QK_NORM (qwen3, gemma3): q and k are first RMS-normalized per head, x / sqrt(mean(x^2) + eps) * norm, as
// rms_norm.wgsl would (the forward's five dispatches of norm q, norm k, rope q, rope k and the cache write are
// this one). A workgroup is then one token (WG = hd / 2, its words): its invocations first each sum the squares
// of whole heads (head i, i + WG, ..) into workgroup memory, and after a barrier every read of a q or k element
// below is scaled by its head's factor and its norm weight, and q's elements past n_rot are written back scaled.
//
// One invocation per (token, word j < hd/2): it writes word j (elements 2j, 2j+1) of every kv head's key
// and value, computing the key's rotated elements from k (read only, so any pairing is race free), and it
// rotates the q pairs it alone owns: pair j (adjacent pairs), or pairs 2j and 2j+1 below n_rot/2 (halves,
// (x[i], x[i + n_rot/2]): their elements are then exactly those of word j's two key elements' pairs, so
// those two angles serve q too). Workgroups past 65535 spill into wg.y.

override WG: u32 = 64;          // invocations per workgroup
override STYLE: u32 = 0u;       // pairing: 0 adjacent (x[2i], x[2i+1]), 1 halves (x[i], x[i + n_rot/2])
override FACTORS: bool = false; // divide frequency i by factors[i]
override KV_F16: bool = true;   // the caches' element type: f16, else f32
override QK_NORM: bool = false; // per-head RMSNorm of q and k first (needs WG = hd / 2 and heads + kv_heads <= 256)

struct Params {
  m: u32,         // tokens
  heads: u32,     // q heads per token
  kv_heads: u32,  // k and v heads per token
  hd: u32,        // head dimension, in elements (even)
  n_rot: u32,     // leading elements of each head that are rotated (even, <= hd)
  mscale: f32,    // multiplier of the rotated pairs (rope.scaling.attn_factor; 1 normally), unitless
  k_at: u32,      // element of x where k starts
  v_at: u32,      // element of x where v starts
  page_size: u32, // tokens per page
  max_pages: u32, // entries per page-table row
  eps: f32,       // QK_NORM: added to the mean square, unitless
  norm_at: u32,   // QK_NORM: element of aux where q_norm starts (k_norm follows, hd on)
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<u32>;
@group(0) @binding(3) var<storage, read> turns: array<vec2<u32>>; // (hi, lo) of G per pair
@group(0) @binding(4) var<storage, read> aux: array<f32>; // factors, then q_norm and k_norm (see above)
@group(0) @binding(5) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(6) var<storage, read_write> v_cache: array<u32>;
@group(0) @binding(7) var<storage, read> page_table: array<u32>;
@group(0) @binding(8) var<storage, read> seq_row: array<u32>;

var<workgroup> inv_rms: array<f32, 256>; // QK_NORM: 1 / sqrt(mean square + eps) of q heads 0.., then k heads

// QK_NORM: the sums of squares of the token's heads, each summed whole by one invocation, as factors.
fn head_factors(t: u32, lid: u32) {
  for (var h = lid; h < params.heads + params.kv_heads; h += WG) {
    var b = (t * params.heads + h) * params.hd;
    if (h >= params.heads) {
      b = params.k_at + (t * params.kv_heads + h - params.heads) * params.hd;
    }
    var ss = 0.0;
    for (var d = 0u; d < params.hd; d++) {
      ss += x[b + d] * x[b + d];
    }
    inv_rms[h] = inverseSqrt(ss / f32(params.hd) + params.eps);
  }
}

// Element d of the head at b, normalized with QK_NORM by the head's factor f and the norm weights at aux[na..].
fn el(b: u32, d: u32, f: f32, na: u32) -> f32 {
  if (QK_NORM) {
    return x[b + d] * f * aux[na + d];
  }
  return x[b + d];
}

// mscale * (sin, cos) of pair i's angle at position p.
fn pair_angle(i: u32, p: u32) -> vec2<f32> {
  var g = turns[i];
  if (FACTORS) {
    g = divide_turns(g, aux[i]);
  }
  return sin_cos(p * g.x + mulhi(p, g.y)) * params.mscale; // top 32 bits of pos * G mod 2^64, in 2^-32 turns
}

// Where element d of a head gets its rotated value: its partner's offset in the head, whether d is the first
// of its pair (x0' = x0 c - x1 s) or the second (x1' = x0 s + x1 c), and its pair's index.
struct Role {
  partner: u32,
  first: bool,
  pair: u32,
};

fn role(d: u32) -> Role {
  let half = params.n_rot / 2u;
  if (STYLE == 1u) {
    let first = d < half;
    return Role(select(d - half, d + half, first), first, select(d - half, d, first));
  }
  return Role(d ^ 1u, (d & 1u) == 0u, d / 2u);
}

// Element d (< n_rot) of the head at b (normalized by f and aux[na..], as el) rotated by (s, c) = sc, by its role r.
fn rotated(b: u32, d: u32, r: Role, sc: vec2<f32>, f: f32, na: u32) -> f32 {
  if (r.first) {
    return el(b, d, f, na) * sc.y - el(b, r.partner, f, na) * sc.x;
  }
  return el(b, r.partner, f, na) * sc.x + el(b, d, f, na) * sc.y;
}

// Rotates the q pair whose elements are (o0, o1) in every q head of token t by (s, c) = sc (sc = (0, 1):
// with QK_NORM, only normalizes them).
fn rotate_q(t: u32, o0: u32, o1: u32, sc: vec2<f32>) {
  for (var h = 0u; h < params.heads; h++) {
    let b = (t * params.heads + h) * params.hd;
    let x0 = el(b, o0, inv_rms[h], params.norm_at);
    let x1 = el(b, o1, inv_rms[h], params.norm_at);
    x[b + o0] = x0 * sc.y - x1 * sc.x;
    x[b + o1] = x0 * sc.x + x1 * sc.y;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let words = params.hd / 2u; // words per head
  let e = (wg.x + wg.y * nwg.x) * WG + lid; // (token, word) index
  if (QK_NORM) { // a workgroup is a token (WG = words), the same for all its invocations: a uniform branch
    let tw = wg.x + wg.y * nwg.x;
    if (tw < params.m) {
      head_factors(tw, lid);
    }
    storageBarrier(); // every read of the token's q before any write of it below
    workgroupBarrier(); // and inv_rms written
  }
  if (e >= params.m * words) {
    return;
  }
  let t = e / words;
  let j = e - t * words;
  let p = pos[t];
  let d0 = 2u * j;
  let rot = d0 < params.n_rot; // both elements rotated, or neither (n_rot is even)
  let r0 = role(d0);
  let r1 = role(d0 + 1u);
  var a0 = vec2<f32>(0.0, 1.0); // (s, c) of the two elements' pairs
  var a1 = a0;
  if (rot) {
    a0 = pair_angle(r0.pair, p);
    a1 = a0;
    if (r1.pair != r0.pair) { // halves: two pairs
      a1 = pair_angle(r1.pair, p);
    }
  }

  // key and value word j of each kv head, into the cache
  let page = page_table[seq_row[t] * params.max_pages + p / params.page_size];
  let width = params.kv_heads * words; // words per cache row
  for (var kh = 0u; kh < params.kv_heads; kh++) {
    let kb = params.k_at + (t * params.kv_heads + kh) * params.hd;
    let vb = params.v_at + (t * params.kv_heads + kh) * params.hd;
    let kf = inv_rms[params.heads + kh];
    let kn = params.norm_at + params.hd; // k_norm
    var kw = vec2<f32>(el(kb, d0, kf, kn), el(kb, d0 + 1u, kf, kn));
    if (rot) {
      kw = vec2<f32>(rotated(kb, d0, r0, a0, kf, kn), rotated(kb, d0 + 1u, r1, a1, kf, kn));
    }
    let vw = vec2<f32>(x[vb + d0], x[vb + d0 + 1u]);
    let dst = (page * params.page_size + p % params.page_size) * width + kh * words + j; // in words
    if (KV_F16) {
      k_cache[dst] = pack2x16float(kw);
      v_cache[dst] = pack2x16float(vw);
    } else {
      k_cache[2u * dst] = bitcast<u32>(kw.x);
      k_cache[2u * dst + 1u] = bitcast<u32>(kw.y);
      v_cache[2u * dst] = bitcast<u32>(vw.x);
      v_cache[2u * dst + 1u] = bitcast<u32>(vw.y);
    }
  }

  // the q pairs this invocation owns (after the key reads: k and q are different regions anyway)
  let half = params.n_rot / 2u;
  if (STYLE == 1u) {
    if (d0 < half) {
      rotate_q(t, d0, d0 + half, a0); // pair 2j: element 2j's role
    }
    if (d0 + 1u < half) {
      rotate_q(t, d0 + 1u, d0 + 1u + half, a1); // pair 2j + 1
    }
  } else if (rot) {
    rotate_q(t, d0, d0 + 1u, a0); // pair j
  }
  if (QK_NORM && !rot) {
    rotate_q(t, d0, d0 + 1u, vec2<f32>(0.0, 1.0)); // unrotated elements 2j, 2j + 1: normalized in place
  }
}
