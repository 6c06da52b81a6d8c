// y = x W^T for one weight matrix stored in a GGUF type, dequantized on the fly (never expanded in memory):
//   y[t, o] = sum_i W[o, i] * x[t, i]      x: [m][k] f32, W: [n][k] in WTYPE, y: [m][n] f32
// One workgroup per (output row o, token t); its invocations stride over the 32-element blocks of the
// row and reduce in shared memory (WG a power of two). Rows past 65535 spill into wg.y; tokens are wg.z.
// W is read as raw u32 words through the decoders of ggml_types.wgsl (prepended by the wrapper).
// Split weights: one dispatch per part, writing columns y_offset.. of rows y_stride long.

override WG: u32 = 64;  // invocations per workgroup, a power of two
override WTYPE: u32 = 0u; // GGML type id: 0 F32, 1 F16, 2 Q4_0, 8 Q8_0, 30 BF16

struct Params {
  k: u32,         // row length of W and x, in elements (a multiple of 32 for Q4_0 / Q8_0)
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
    default: {}
  }
  return s;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = wg.x + wg.y * nwg.x; // uniform across the workgroup
  let t = wg.z;
  if (o >= params.n) {
    return;
  }
  let row = params.w_offset + o * params.row_bytes;
  let xb = params.x_offset + t * params.k;
  var s = 0.0;
  for (var blk = lid; blk * 32u < params.k; blk += WG) {
    s += block_dot(row, blk, xb);
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[t * params.y_stride + params.y_offset + o] = partial[0];
  }
}
