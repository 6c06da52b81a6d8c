// In-place broadcast add: y[i] += b[i % period] for i < count.
// y: [count] f32; b: [period] f32. Residual add: period = count; bias add: period = row length.
// One invocation per element; invocations past 65535 workgroups spill into wg.y.

override WG: u32 = 256; // invocations per workgroup

struct Params {
  count: u32,  // elements of y
  period: u32, // elements of b, repeated along y
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * nwg.x) * WG + lid;
  if (i >= params.count) {
    return;
  }
  y[i] += b[i % params.period];
}
