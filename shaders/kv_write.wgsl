// Scatters this chunk's keys and values into the paged KV cache of one layer:
//   kCache[page][slot][c] = k[t][c],  vCache[page][slot][c] = v[t][c]
//   with page = pageTable[seqRow[t] * maxPages + pos[t] / pageSize], slot = pos[t] % pageSize
// k, v: [m][width] f32 (width = nKvHead * hd); kCache, vCache: [nPages][pageSize][width] f32;
// pageTable: u32 [rows][maxPages]; seqRow, pos: u32 [m].
// One invocation per element of k (and the same element of v); workgroups past 65535 spill into wg.y.

override WG: u32 = 256; // invocations per workgroup

struct Params {
  m: u32,         // tokens in the chunk
  width: u32,     // elements per token row of k and v (nKvHead * hd)
  page_size: u32, // tokens per page
  max_pages: u32, // entries per page-table row
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>;
@group(0) @binding(5) var<storage, read> page_table: array<u32>;
@group(0) @binding(6) var<storage, read> seq_row: array<u32>;
@group(0) @binding(7) var<storage, read> pos: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wg.x + wg.y * nwg.x) * WG + lid;
  if (i >= params.m * params.width) {
    return;
  }
  let t = i / params.width;
  let c = i % params.width;
  let p = pos[t];
  let page = page_table[seq_row[t] * params.max_pages + p / params.page_size];
  let dst = (page * params.page_size + p % params.page_size) * params.width + c;
  k_cache[dst] = k[i];
  v_cache[dst] = v[i];
}
