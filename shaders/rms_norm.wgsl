// RMSNorm over the last axis, one workgroup per row, with the two fusions the forward pass uses around it:
//   (ADD)   x[r, :] += b[r, :] first, written back to x: the residual add of the block before
//           y[r, i] = x[r, i] / sqrt(mean_i(x[r, :]^2) + eps) * w[i]
//   (QUANT) then y's 32-element blocks quantized for the integer-dot matmul by q8_block (q8_block.wgsl,
//           prepended by the wrapper), as quantize_q8.wgsl does: q packed into xq, (d, sum q) into xd
// x, b, y: [rows][n] f32 (row-major); w: [n] f32; xq: [rows * n / 4] u32; xd: [rows * n / 32] vec2<f32>.
// Each invocation sums squares over a strided slice of the row, then the workgroup reduces the
// partial sums in shared memory (WG must be a power of two). Rows beyond 65535 spill into wg.y.
// SERIAL (software adapters): each invocation takes a whole row, rows wg * WG + lid, with no barrier; there
// a workgroup's barriers cost more than a row's work (a 576-wide row: ~40 us per workgroup of 256).
// Bindings the options leave unused are still bound (the wrapper passes stand-ins).

override WG: u32 = 256;       // invocations per workgroup, a power of two
override ADD: bool = false;   // x += b first
override QUANT: bool = false; // also write y quantized (n a multiple of 32)
override SERIAL: bool = false; // one invocation per row (see above)

struct Params {
  n: u32,     // row length, in elements
  rows: u32,  // number of rows
  eps: f32,   // added to the mean square (unitless)
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read_write> xq: array<u32>;
@group(0) @binding(6) var<storage, read_write> xd: array<vec2<f32>>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  if (SERIAL) {
    let r = (wg.x + wg.y * nwg.x) * WG + lid;
    if (r < params.rows) {
      serial_row(r);
    }
    return;
  }
  let row = wg.x + wg.y * nwg.x; // uniform across the workgroup
  if (row >= params.rows) {
    return;
  }
  let base = row * params.n;

  var ss = 0.0;
  for (var i = lid; i < params.n; i += WG) {
    var v = x[base + i];
    if (ADD) {
      v += b[base + i];
      x[base + i] = v; // read back below by this invocation only
    }
    ss += v * v;
  }
  partial[lid] = ss;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  let scale = inverseSqrt(partial[0] / f32(params.n) + params.eps);

  for (var i = lid; i < params.n; i += WG) {
    y[base + i] = x[base + i] * scale * w[i];
  }
  if (!QUANT) {
    return;
  }
  storageBarrier(); // a block's values were written by other invocations
  for (var blk = lid; blk < params.n / 32u; blk += WG) {
    let p = base + 32u * blk; // the block's first element
    quantize_y(p);
  }
}

fn quantize_y(p: u32) { // y's block of elements p .. p+31, as written, into xq and xd
  var v: array<vec4<f32>, 8>;
  for (var j = 0u; j < 8u; j++) {
    v[j] = vec4<f32>(y[p + 4u * j], y[p + 4u * j + 1u], y[p + 4u * j + 2u], y[p + 4u * j + 3u]);
  }
  q8_store(p, v);
}

fn serial_row(row: u32) { // the kernel for one row, by one invocation
  let base = params.n * row;
  var ss = 0.0;
  for (var e = 0u; e < params.n; e++) {
    var v = x[base + e];
    if (ADD) {
      v += b[base + e];
      x[base + e] = v;
    }
    ss += v * v;
  }
  let scale = inverseSqrt(ss / f32(params.n) + params.eps);
  for (var e = 0u; e < params.n; e++) {
    y[base + e] = scale * x[base + e] * w[e];
  }
  if (QUANT) {
    for (var at = base; at < base + params.n; at += 32u) {
      quantize_y(at);
    }
  }
}
