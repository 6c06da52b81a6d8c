// RoPE angles, exact modulo one turn whatever the position (shared by rope.wgsl and rope_kv.wgsl, which
// are compiled with this file in front of them).
//
// An f32 angle pos * freq is already off by up to ulp(theta)/2 ~ theta * 6e-8 (2.4e-4 rad at position 4000,
// 2e-3 rad at 32k) before sin/cos, and WGSL specifies sin/cos only on [-pi, pi]. Instead the wrapper gives
// each frequency in turns per position, freq / 2pi, computed in f64 on the CPU as a 64-bit fixed-point
// fraction G = hi * 2^32 + lo (turns = G / 2^64). pos * G mod 2^64 (the fractional turn: whole turns drop
// out) is computed exactly in u32 arithmetic (mulhi); its top 32 bits are reduced to a quarter turn plus a
// rest of at most pi/4, and only that rest goes through f32 (error < 1.5e-7 rad; sin_cos). A factor divides
// G exactly (integer long division; divide_turns) before the product.

const RAD_PER_UNIT: f32 = 1.4629180792671596e-9; // 2 pi / 2^32: radians per 2^-32 turn

// The high 32 bits of the 64-bit product a * b, from 16-bit halves.
fn mulhi(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let mid0 = a1 * b0;
  let mid1 = a0 * b1;
  let carry = ((a0 * b0) >> 16u) + (mid0 & 0xffffu) + (mid1 & 0xffffu);
  return a1 * b1 + (mid0 >> 16u) + (mid1 >> 16u) + (carry >> 16u);
}

// frac(G / factor) as a 64-bit fraction (hi, lo), for a factor in [2^-8, 2^24). With
// factor = mant * 2^(exp - 150), G / factor = (G << (150 - exp)) / mant: the 96-bit dividend is divided
// by the 24-bit mantissa a byte at a time (remainder < 2^24, so remainder << 8 fits a u32), keeping the
// low 64 bits of the quotient (the bits above are whole turns).
fn divide_turns(g: vec2<u32>, factor: f32) -> vec2<u32> {
  let bits = bitcast<u32>(factor);
  let mant = (bits & 0x7fffffu) | 0x800000u;
  let sh = u32(clamp(150 - i32((bits >> 23u) & 0xffu), 0, 31));
  // WGSL takes shift counts modulo 32: a shift by 32 - 0 must be spelled as 0
  var d = array<u32, 3>(
    select(g.x >> (32u - sh), 0u, sh == 0u),
    (g.x << sh) | select(g.y >> (32u - sh), 0u, sh == 0u),
    g.y << sh,
  );
  var rem = 0u;
  var q = vec2<u32>(0u, 0u);
  for (var k = 0u; k < 12u; k++) {
    let cur = (rem << 8u) | ((d[k / 4u] >> (24u - 8u * (k % 4u))) & 0xffu);
    let digit = cur / mant;
    rem = cur - digit * mant;
    q = vec2<u32>((q.x << 8u) | (q.y >> 24u), (q.y << 8u) | digit);
  }
  return q;
}

// (sin, cos) of an angle given in 2^-32 turns. The angle is reduced exactly (in integers) to the
// nearest quarter turn plus a rest in [-pi/4, pi/4), where Cephes' sinf/cosf polynomials are within
// ~2.2e-7 relative; the quarter turn then swaps and negates. The builtin sin/cos are not used: WGSL
// specifies them only to 2^-11 absolute on [-pi, pi], and SwiftShader's are off by ~2e-4 there.
fn sin_cos(turn: u32) -> vec2<f32> {
  let q = (turn + 0x20000000u) >> 30u; // nearest quarter turn, 0..3
  let a = f32(bitcast<i32>(turn - (q << 30u))) * RAD_PER_UNIT; // in [-pi/4, pi/4)
  let z = a * a;
  let s = a + a * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  switch q {
    case 0u: { return vec2<f32>(s, c); }
    case 1u: { return vec2<f32>(c, -s); }
    case 2u: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}
