// Token embedding lookup, dequantizing rows of the table on the fly:
//   y[t, i] = W[ids[t], i] * scale      ids: [m] u32, W: [rows][n] in WTYPE (table rows row_lo ..), y: [m][n] f32
// One invocation per element of y; elements past 65535 workgroups spill into wg.y. A table too big for
// one binding is split by rows, one dispatch per part: a token whose id is outside
// [row_lo, row_lo + rows) is left untouched, so the parts together write every token once.
// W is read as raw u32 words through the decoders of ggml_types.wgsl (prepended by the wrapper).

override WG: u32 = 256;   // invocations per workgroup
override WTYPE: u32 = 0u; // GGML type id: one of those weight_at decodes (ggml_types.wgsl)

struct Params {
  n: u32,         // row length, in elements (a multiple of the type's block: 32, or 256 for K-quants)
  m: u32,         // tokens
  w_offset: u32,  // start of table row row_lo in the `w` binding, in bytes (a multiple of 4)
  row_bytes: u32, // bytes per table row
  row_lo: u32,    // first table row held by `w`, in rows
  rows: u32,      // table rows held by `w`, in rows
  scale: f32,     // multiplier of every element (1; sqrt(n) for gemma), unitless
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = (wg.x + wg.y * nwg.x) * WG + lid; // element of y
  if (e >= params.m * params.n) {
    return;
  }
  let t = e / params.n;
  let i = e - t * params.n;
  let id = ids[t];
  if (id < params.row_lo || id >= params.row_lo + params.rows) {
    return; // another part of the table holds this row
  }
  let row = params.w_offset + (id - params.row_lo) * params.row_bytes;
  y[e] = weight_at(WTYPE, row, i, params.n) * params.scale;
}
