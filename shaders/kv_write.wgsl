// Scatters this chunk's keys and values into the paged KV cache of one layer, as f16 (or f32):
//   kCache[page][slot][c] = f16(k[t][c]),  vCache[page][slot][c] = f16(v[t][c])
//   with page = pageTable[seqRow[t] * maxPages + pos[t] / pageSize], slot = pos[t] % pageSize
// k, v: [m][width] f32 (width = nKvHead * hd, even); kCache, vCache: [nPages][pageSize][width] f16, two to a u32
// word (element 2i in the low half, as pack2x16float; core WGSL, so no shader-f16 needed), or with KV_F16 off
// f32, one per word; pageTable: u32 [rows][maxPages]; seqRow, pos: u32 [m].
// One invocation per pair of elements of k (and the same pair of v): a word of the cache has one writer.
// Workgroups past 65535 spill into wg.y.

override WG: u32 = 256;        // invocations per workgroup
override KV_F16: bool = true;  // the caches' element type: f16, else f32

struct Params {
  m: u32,         // tokens in the chunk
  width: u32,     // elements per token row of k and v (nKvHead * hd), even
  page_size: u32, // tokens per page
  max_pages: u32, // entries per page-table row
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> k: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<u32>;
@group(0) @binding(5) var<storage, read> page_table: array<u32>;
@group(0) @binding(6) var<storage, read> seq_row: array<u32>;
@group(0) @binding(7) var<storage, read> pos: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * nwg.x) * WG + lid; // pair index: elements 2i, 2i + 1
  let half = params.width / 2u; // pairs per token row
  if (i >= params.m * half) {
    return;
  }
  let t = i / half;
  let c = i % half;
  let p = pos[t];
  let page = page_table[seq_row[t] * params.max_pages + p / params.page_size];
  let dst = (page * params.page_size + p % params.page_size) * half + c; // in pairs
  if (KV_F16) {
    k_cache[dst] = pack2x16float(k[i]);
    v_cache[dst] = pack2x16float(v[i]);
  } else {
    k_cache[2u * dst] = bitcast<u32>(k[i].x);
    k_cache[2u * dst + 1u] = bitcast<u32>(k[i].y);
    v_cache[2u * dst] = bitcast<u32>(v[i].x);
    v_cache[2u * dst + 1u] = bitcast<u32>(v[i].y);
  }
}
