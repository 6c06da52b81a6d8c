// Quantizing one 32-element block of activations to 8 bits for the integer-dot matmul (matmul_q8.wgsl). Not a
// kernel: prepended to the kernels that produce quantized activations (quantize_q8.wgsl, rms_norm.wgsl,
// swiglu.wgsl), so all of them round the same values the same way. As llama.cpp quantizes x for Q8_0 / Q4_0:
//   d = max |v| / 127,  q[i] = round(v[i] * (1 / d)) in -127 ..= 127 (0 when d = 0; round: halfway to even)
// q packed four to a u32, lowest byte first; sum = the block's sum of q (a Q4_0 weight needs 8 * sum q).
// q8_store writes a block into the including kernel's xq: array<u32> and xd: array<vec2<f32>> bindings.

struct Q8Block {
  qs: array<u32, 8>, // q[4j .. 4j+3] in word j
  d: f32,            // scale
  sum: f32,          // sum of q (exact: |sum| <= 4064)
};

// q's four int8 as the bytes of a u32, lowest first: pack4xI8 spelled out, because this file is also part of
// kernels that run where WGSL lacks packed_4x8_integer_dot_product (rms_norm, swiglu, attention_merge)
fn pack_i8x4(q: vec4<i32>) -> u32 {
  let b = (bitcast<vec4<u32>>(q) & vec4<u32>(0xffu)) << vec4<u32>(0u, 8u, 16u, 24u);
  return b.x | b.y | b.z | b.w;
}

fn q8_block(v: array<vec4<f32>, 8>) -> Q8Block { // v[j]: elements 4j .. 4j+3
  var r: Q8Block;
  var amax = vec4<f32>(0.0);
  for (var j = 0u; j < 8u; j++) {
    amax = max(amax, abs(v[j]));
  }
  r.d = max(max(amax.x, amax.y), max(amax.z, amax.w)) / 127.0;
  let id = select(0.0, 1.0 / r.d, r.d > 0.0);
  var sum = vec4<i32>(0);
  for (var j = 0u; j < 8u; j++) {
    let q = clamp(vec4<i32>(round(v[j] * id)), vec4<i32>(-127), vec4<i32>(127));
    sum += q;
    r.qs[j] = pack_i8x4(q);
  }
  r.sum = f32(sum.x + sum.y + sum.z + sum.w);
  return r;
}

fn q8_store(p: u32, v: array<vec4<f32>, 8>) { // the block of elements p .. p+31 (p a multiple of 32)
  let r = q8_block(v);
  for (var j = 0u; j < 8u; j++) {
    xq[p / 4u + j] = r.qs[j];
  }
  xd[p / 32u] = vec2<f32>(r.d, r.sum);
}
