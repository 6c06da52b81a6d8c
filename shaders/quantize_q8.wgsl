// Activations quantized for the integer-dot matmul (matmul_q8.wgsl): every block of 32 consecutive elements
// through q8_block (q8_block.wgsl, prepended by the wrapper), q packed into xq, (d, sum q) into xd.
// x: [blocks * 32] f32; xq: [blocks * 8] u32; xd: [blocks] (d, sum q as f32).
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
  var v: array<vec4<f32>, 8>;
  for (var j = 0u; j < 8u; j++) {
    v[j] = x[8u * b + j];
  }
  q8_store(32u * b, v);
}
