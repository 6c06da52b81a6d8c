// Bandwidth probe for benchmarks: reads a buffer once, as fast as the adapter can, and writes one small
// result per invocation so the reads cannot be optimized away. The figure it gives (bytes / second) is
// the ceiling a decode step, which streams every weight once, is measured against.
// src: [words] vec4<u32> (16 bytes each); out: [grid] u32, grid = workgroups * WG.
// Invocation g sums (wrapping) every component of src[g], src[g + grid], src[g + 2 grid], ...: neighbouring
// invocations read neighbouring 16-byte words, so each pass over the grid is one contiguous sweep.

override WG: u32 = 256; // invocations per workgroup

struct Params {
  words: u32, // length of src, in vec4<u32> (16-byte) words
  grid: u32,  // invocations dispatched (workgroups * WG) = stride between one invocation's reads, in words
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wg.x * WG + lid;
  var acc = vec4<u32>(0u);
  for (var i = g; i < params.words; i += params.grid) {
    acc += src[i];
  }
  out[g] = acc.x + acc.y + acc.z + acc.w;
}
