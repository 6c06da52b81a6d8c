// y = x W^T for one weight matrix stored in a GGUF type, dequantized on the fly (never expanded in memory):
//   y[t, o] = sum_i W[o, i] * x[t, i]      x: [m][k] f32, W: [n][k] in WTYPE, y: [m][n] f32
// A workgroup of WG invocations handles WG / TPR output rows of one token t: TPR invocations ("lanes") per
// row stride over the row's 32-element blocks (for K-quants, the 32-element slices of their 256-element
// super-blocks) and reduce in shared memory. The wrapper picks TPR from k so that short rows (a 64-wide
// model's 150k-row lm_head) do not leave most lanes idle. Groups past 65535 spill into wg.y; tokens are wg.z.
// W is read as raw u32 words through the decoders of ggml_types.wgsl (prepended by the wrapper).
// Split weights: one dispatch per part, writing columns y_offset.. of rows y_stride long.

override WG: u32 = 64;  // invocations per workgroup, a power of two
override TPR: u32 = 64; // invocations per output row, a power of two <= WG
override WTYPE: u32 = 0u; // GGML type id: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1, 8 Q8_0, 12 Q4_K, 13 Q5_K, 14 Q6_K, 30 BF16

struct Params {
  k: u32,         // row length of W and x, in elements (a multiple of the type's block: 32, or 256 for K-quants)
  n: u32,         // rows of W = outputs per token
  m: u32,         // tokens
  w_offset: u32,  // start of W in the `w` binding, in bytes (a multiple of 4)
  row_bytes: u32, // bytes per row of W
  x_offset: u32,  // first element of x, in elements
  y_offset: u32,  // column of y that output row 0 goes to, in elements
  y_stride: u32,  // elements per token row of y (>= y_offset + n)
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, WG>;

// Dot product of block `blk` (elements 32*blk .. 32*blk+31) of the row starting at byte `row`
// with x[xb + 32*blk ..].
fn block_dot(row: u32, blk: u32, xb: u32) -> f32 {
  let i0 = blk * 32u;
  var s = 0.0;
  switch WTYPE {
    case 0u: { // F32
      for (var j = 0u; j < 32u && i0 + j < params.k; j++) {
        s += bitcast<f32>(w[(row >> 2u) + i0 + j]) * x[xb + i0 + j];
      }
    }
    case 1u: { // F16
      for (var j = 0u; j < 32u && i0 + j < params.k; j++) {
        s += f16_at(row + 2u * (i0 + j)) * x[xb + i0 + j];
      }
    }
    case 30u: { // BF16
      for (var j = 0u; j < 32u && i0 + j < params.k; j++) {
        s += bf16_at(row + 2u * (i0 + j)) * x[xb + i0 + j];
      }
    }
    case 8u: { // Q8_0: f16 scale, 32 x int8
      let p = row + blk * 34u;
      for (var j = 0u; j < 32u; j++) {
        s += i8_at(p + 2u + j) * x[xb + i0 + j];
      }
      s *= f16_at(p);
    }
    case 2u: { // Q4_0: f16 scale, 16 bytes; low nibble -> element j, high nibble -> element j + 16
      let p = row + blk * 18u;
      for (var j = 0u; j < 16u; j++) {
        let q = byte_at(p + 2u + j);
        s += (f32(q & 15u) - 8.0) * x[xb + i0 + j] + (f32(q >> 4u) - 8.0) * x[xb + i0 + j + 16u];
      }
      s *= f16_at(p);
    }
    case 3u, 6u, 7u: { // Q4_1, Q5_0, Q5_1: nibbles as Q4_0; Q5 types add a fifth bit: bit j of a u32 qh
      // bytes: Q4_1 d@0 m@2 qs@4 (20 per block); Q5_0 d@0 qh@2 qs@6 (22); Q5_1 d@0 m@2 qh@4 qs@8 (24)
      var size = 20u;
      var qh_at = 0u;
      var qs_at = 4u;
      if (WTYPE == 6u) { size = 22u; qh_at = 2u; qs_at = 6u; }
      if (WTYPE == 7u) { size = 24u; qh_at = 4u; qs_at = 8u; }
      let p = row + blk * size;
      var qh = 0u;
      if (qh_at != 0u) { qh = u32_at_even(p + qh_at); }
      var sq = 0.0; // sum of q * x
      var sx = 0.0; // sum of x
      for (var j = 0u; j < 16u; j++) {
        let q = byte_at(p + qs_at + j);
        let x0 = x[xb + i0 + j];
        let x1 = x[xb + i0 + j + 16u];
        sq += f32((q & 15u) | (((qh >> j) & 1u) << 4u)) * x0 + f32((q >> 4u) | (((qh >> (j + 16u)) & 1u) << 4u)) * x1;
        sx += x0 + x1;
      }
      let d = f16_at(p);
      let base = select(f16_at(p + 2u), -16.0 * d, WTYPE == 6u); // what q = 0 decodes to: m, or -16 d
      s = d * sq + base * sx;
    }
    case 12u, 13u: { // Q4_K / Q5_K: this block is sub-block blk % 8 of super-block blk / 8
      let big = WTYPE == 13u;
      let p = row + (blk / 8u) * select(144u, 176u, big);
      let sb = blk % 8u;
      let qs = p + select(16u, 48u, big) + 32u * (sb / 2u);
      let shift = (sb % 2u) * 4u;
      var sq = 0.0; // sum of q * x
      var sx = 0.0; // sum of x
      for (var l = 0u; l < 32u; l++) {
        var q = (byte_at(qs + l) >> shift) & 15u;
        if (big) {
          q |= ((byte_at(p + 16u + l) >> sb) & 1u) << 4u;
        }
        let xv = x[xb + i0 + l];
        sq += f32(q) * xv;
        sx += xv;
      }
      let sm = scale_min_k4(p + 4u, sb);
      s = f16_at(p) * sm.x * sq - f16_at(p + 2u) * sm.y * sx; // x = d sc q - dmin m
    }
    case 14u: { // Q6_K: this block is elements 32c .. 32c+31 of half n of super-block blk / 8
      let p = row + (blk / 8u) * 210u;
      let n = (blk % 8u) / 4u;
      let c = blk % 4u;
      let ql = p + 64u * n + 32u * (c % 2u);
      let qh = p + 128u + 32u * n;
      var s0 = 0.0; // elements 0..15 (one scale)
      var s1 = 0.0; // elements 16..31 (the next)
      for (var l = 0u; l < 32u; l++) {
        let q = ((byte_at(ql + l) >> (4u * (c / 2u))) & 15u) | (((byte_at(qh + l) >> (2u * c)) & 3u) << 4u);
        let t = (f32(q) - 32.0) * x[xb + i0 + l];
        if (l < 16u) { s0 += t; } else { s1 += t; }
      }
      let sc = p + 192u + 8u * n + 2u * c;
      s = f16_at(p + 208u) * (i8_at(sc) * s0 + i8_at(sc + 1u) * s1);
    }
    default: {}
  }
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let j = lid % TPR; // lane within the row
  let o = (wg.x + wg.y * nwg.x) * (WG / TPR) + lid / TPR; // output row
  let t = wg.z;
  var s = 0.0;
  if (o < params.n) { // no early return: every invocation must reach the barriers
    let row = params.w_offset + o * params.row_bytes;
    let xb = params.x_offset + t * params.k;
    for (var blk = j; blk * 32u < params.k; blk += TPR) {
      s += block_dot(row, blk, xb);
    }
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride /= 2u) {
    if (j < stride) { // lanes of one row sit together: lid + stride stays in the row
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  if (j == 0u && o < params.n) {
    y[t * params.y_stride + params.y_offset + o] = partial[lid];
  }
}
