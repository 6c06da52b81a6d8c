// RMSNorm over the last axis, one workgroup per row:
//   y[r, i] = x[r, i] / sqrt(mean_i(x[r, :]^2) + eps) * w[i]
// x, y: [rows][n] f32 (row-major); w: [n] f32.
// Each invocation sums squares over a strided slice of the row, then the workgroup reduces the
// partial sums in shared memory (WG must be a power of two). Rows beyond 65535 spill into wg.y.

override WG: u32 = 256; // invocations per workgroup, a power of two

struct Params {
  n: u32,     // row length, in elements
  rows: u32,  // number of rows
  eps: f32,   // added to the mean square (unitless)
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x; // uniform across the workgroup
  if (row >= params.rows) {
    return;
  }
  let base = row * params.n;

  var ss = 0.0;
  for (var i = lid; i < params.n; i += WG) {
    let v = x[base + i];
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
}
