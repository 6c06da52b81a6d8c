// Grammar token masks, in place: logits[row, id] = -inf where bit (id & 31) of mask[row, id >> 5] is clear
// (or id >> 5 is past the row's words), so the sampler (topk.wgsl, then the host) only sees allowed tokens.
// logits: [rows][v] f32, viewed here as u32 words (a masked logit gets -inf's bits; kept ones are not
// touched, so no float is read or rounded); mask: [rows][words] u32 bitsets, bit set = allowed.
// One invocation per logit; invocations past 65535 workgroups spill into wg.y.

override WG: u32 = 256; // invocations per workgroup

const NEG_INF_BITS: u32 = 0xff800000u; // -inf as f32 bits

struct Params {
  rows: u32,  // rows of logits (sequences), in rows
  v: u32,     // logits per row (vocabulary size), in elements
  words: u32, // mask words per row, in u32 words (ceil(tokens the grammar knows / 32); may be < ceil(v / 32))
  _pad: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<u32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * nwg.x) * WG + lid;
  if (i >= params.rows * params.v) {
    return;
  }
  let row = i / params.v;
  let id = i % params.v;
  let w = id >> 5u;
  var allowed = false;
  if (w < params.words) {
    allowed = ((mask[row * params.words + w] >> (id & 31u)) & 1u) == 1u;
  }
  if (!allowed) {
    logits[i] = NEG_INF_BITS;
  }
}
