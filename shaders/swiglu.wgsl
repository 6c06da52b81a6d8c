// Gated activation of the feed-forward: y[i] = act(g[i]) * u[i], with act = silu (SwiGLU, ACT 0):
//   silu(v) = v sigmoid(v)
// or the tanh-approximated GELU (GeGLU, gemma; ACT 1), rewritten through 0.5 (1 + tanh(z)) = sigmoid(2z):
//   gelu(v) = 0.5 v (1 + tanh(z)) = v sigmoid(2z),  z = sqrt(2/pi) (v + 0.044715 v^3)
// which avoids the cancellation in 1 + tanh(z) for negative v (v ~ -5 would lose ~12 bits).
// g, u, y: [count] f32. One invocation per element; invocations past 65535 workgroups spill into wg.y.
// In place (y aliasing g) is its own pipeline (IN_PLACE): WebGPU forbids binding one buffer as both
// read-only and writable storage in a dispatch, so g is then read through y (the g binding is unused).
// The sigmoid never evaluates exp of a positive number: exp(-|v|) <= 1 cannot overflow (WGSL lets an
// implementation assume no infinities, so exp(100) = inf divided into v is not safe), and for v < 0
// sigmoid(v) = exp(v) / (1 + exp(v)), which underflows gracefully to 0.
// QUANT: y is also quantized for the integer-dot matmul by q8_block (q8_block.wgsl, prepended by the wrapper):
// then one invocation per 32-element block (count a multiple of 32), xq: [count / 4] u32, xd: [count / 32].

override WG: u32 = 256;           // invocations per workgroup
override IN_PLACE: bool = false;  // read g from y
override PACKED: bool = false;    // read g from y and u from y[up_at ..]: gate and up in one buffer (a fused
                                  // gate|up matmul's output), which WebGPU cannot bind both read-only and writable
override ACT: u32 = 0u;           // 0 silu, 1 gelu (tanh approximation)
override QUANT: bool = false;     // also write y quantized

const GELU_K: f32 = 1.5957691216057308; // 2 sqrt(2/pi)
const GELU_C: f32 = 0.044715;

struct Params {
  count: u32, // elements
  up_at: u32, // PACKED: element of y where up starts (>= count)
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> xq: array<u32>;
@group(0) @binding(5) var<storage, read_write> xd: array<vec2<f32>>;

fn act_mul(i: u32) -> f32 { // y[i]
  var v: f32;
  if (IN_PLACE || PACKED) {
    v = y[i];
  } else {
    v = g[i];
  }
  var a = v; // the sigmoid's argument
  if (ACT == 1u) {
    let c = clamp(v, -100.0, 100.0); // the cube cannot overflow; past +-100 the sigmoid is 0 or 1 anyway
    a = GELU_K * (c + GELU_C * c * c * c);
  }
  let e = exp(-abs(a)); // in (0, 1]
  let sigmoid = select(e, 1.0, a >= 0.0) / (1.0 + e);
  var up: f32;
  if (PACKED) {
    up = y[params.up_at + i];
  } else {
    up = u[i];
  }
  return v * sigmoid * up;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * nwg.x) * WG + lid; // element, or block with QUANT
  if (QUANT) {
    if (i >= params.count / 32u) {
      return;
    }
    var v: array<vec4<f32>, 8>;
    for (var j = 0u; j < 8u; j++) {
      let e = 32u * i + 4u * j;
      v[j] = vec4<f32>(act_mul(e), act_mul(e + 1u), act_mul(e + 2u), act_mul(e + 3u));
      y[e] = v[j].x;
      y[e + 1u] = v[j].y;
      y[e + 2u] = v[j].z;
      y[e + 3u] = v[j].w;
    }
    q8_store(32u * i, v);
    return;
  }
  if (i >= params.count) {
    return;
  }
  y[i] = act_mul(i);
}
