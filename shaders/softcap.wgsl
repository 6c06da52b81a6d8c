// Logit soft-capping, in place (gemma2's final logits): y[i] = cap * tanh(y[i] / cap) for i < count.
// y: [count] f32. One invocation per element; invocations past 65535 workgroups spill into wg.y.
// tanh is computed as sign(x) (1 - e) / (1 + e), e = exp(-2|x|) in (0, 1], which cannot overflow (the
// builtin may go through exp(2x), and WGSL lets an implementation assume no infinities); near 0 it is
// off by ~1 f32 ulp of 1 absolute, i.e. ~cap * 6e-8 on the capped value.

override WG: u32 = 256; // invocations per workgroup

struct Params {
  count: u32, // elements of y
  cap: f32,   // the cap c > 0, in logit units: |y| stays below it
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * nwg.x) * WG + lid;
  if (i >= params.count) {
    return;
  }
  let x = y[i] / params.cap;
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e); // tanh(|x|)
  y[i] = params.cap * select(-t, t, x >= 0.0);
}
