// Rotary position embedding, in place on q or k. For token t, head h and pair i < n_rot/2:
//   theta = scale * pos[t] * base^(-2i/n_rot) / factor[i]
//   (x0, x1) <- mscale * (x0 cos(theta) - x1 sin(theta), x0 sin(theta) + x1 cos(theta))
// where (x0, x1) = (x[t, h, 2i], x[t, h, 2i+1]) for STYLE 0 (llama) or (x[t, h, i], x[t, h, i + n_rot/2])
// for STYLE 1 (NEOX: qwen2/3, phi3, gemma); dimensions n_rot.. of a head are left alone (partial rotary).
// x: [m][heads][hd] f32, pos: [m] u32, turns: [n_rot/2] vec2<u32> (scale * base^(-2i/n_rot) / 2pi),
// factors: [n_rot/2] f32 (llama3 rope_freqs, phi3 rope factors; read only when FACTORS). One invocation per (token, pair),
// rotating that pair in every head with one angle; invocations past 65535 workgroups spill into wg.y.
// The forward turns q and k with rope_kv.wgsl (with the KV cache write, and qwen3's and gemma3's q/k norms,
// in the same dispatch); this kernel, the rotation alone, is where the shared angle functions are checked at
// any position (rope.check.ts: positions to 128k, more workgroups than one dimension holds) and mutated.
// The angle is exact modulo one turn, whatever the position: rope_turns.wgsl (compiled in front of this file).

override WG: u32 = 64;         // invocations per workgroup
override STYLE: u32 = 0u;      // pairing: 0 adjacent (x[2i], x[2i+1]), 1 halves (x[i], x[i + hd/2])
override FACTORS: bool = false; // divide frequency i by factors[i]

struct Params {
  m: u32,      // tokens
  heads: u32,  // heads per token
  hd: u32,     // head dimension, in elements
  n_rot: u32,  // leading elements of each head that are rotated (even, <= hd)
  mscale: f32, // multiplier of the rotated pairs (rope.scaling.attn_factor; 1 normally), unitless
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<u32>;
@group(0) @binding(3) var<storage, read> turns: array<vec2<u32>>; // (hi, lo) of G per pair
@group(0) @binding(4) var<storage, read> factors: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let half = params.n_rot / 2u;
  let e = (wg.x + wg.y * nwg.x) * WG + lid; // (token, pair) index
  if (e >= params.m * half) {
    return;
  }
  let t = e / half;
  let i = e - t * half;
  var g = turns[i];
  if (FACTORS) {
    g = divide_turns(g, factors[i]);
  }
  let p = pos[t];
  let sc = sin_cos(p * g.x + mulhi(p, g.y)); // top 32 bits of pos * G mod 2^64: the angle in 2^-32 turns
  let s = sc.x * params.mscale;
  let c = sc.y * params.mscale;
  let o0 = select(2u * i, i, STYLE == 1u); // offsets of x0 and x1 in a head
  let o1 = select(2u * i + 1u, i + half, STYLE == 1u);
  for (var h = 0u; h < params.heads; h++) {
    rotate((t * params.heads + h) * params.hd, o0, o1, c, s);
  }
}

// Rotates the pair (x[b + o0], x[b + o1]) by the angle whose mscale-scaled (cos, sin) are (c, s).
fn rotate(b: u32, o0: u32, o1: u32, c: f32, s: f32) {
  let x0 = x[b + o0];
  let x1 = x[b + o1];
  x[b + o0] = x0 * c - x1 * s;
  x[b + o1] = x0 * s + x1 * c;
}
