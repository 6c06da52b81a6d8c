// Activations quantized for the integer-dot matmul (matmul_q8.wgsl), as llama.cpp quantizes x for its Q8_0
// and Q4_0 dot products: every block of 32 consecutive elements becomes
//   d = max |x| / 127,  q[i] = round(x[i] / d) in -127 ..= 127 (computed as x[i] * (1 / d); 0 when d = 0)
// with q packed four to a u32, lowest byte first, and the block's sum of q kept beside d (a Q4_0 weight is
// d_w (n - 8), so its dot product needs 8 * sum q). round() is WGSL's: halfway cases to even.
// x: [blocks * 32] f32; xq: [blocks * 8] u32; xd: [blocks] (d, sum q as f32: exact, |sum| <= 4064).
// One invocation per block; invocations past 65535 workgroups spill into wg.y.

override WG: u32 = 64; // invocations per workgroup

struct Params {
  blocks: u32, // blocks of 32 elements (tokens * row length / 32)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> xq: array<u32>;
@group(0) @binding(3) var<storage, read_write> xd: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let b = (wg.x + wg.y * nwg.x) * WG + lid;
  if (b >= params.blocks) {
    return;
  }
  var amax = vec4<f32>(0.0);
  for (var j = 0u; j < 8u; j++) {
    amax = max(amax, abs(x[8u * b + j]));
  }
  let d = max(max(amax.x, amax.y), max(amax.z, amax.w)) / 127.0;
  let id = select(0.0, 1.0 / d, d > 0.0);
  var sum = vec4<i32>(0);
  for (var j = 0u; j < 8u; j++) {
    let q = clamp(vec4<i32>(round(x[8u * b + j] * id)), vec4<i32>(-127), vec4<i32>(127));
    sum += q;
    xq[8u * b + j] = pack4xI8(q);
  }
  xd[b] = vec2<f32>(d, f32(sum.x + sum.y + sum.z + sum.w));
}
