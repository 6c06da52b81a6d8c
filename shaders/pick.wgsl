// The token a stream's sampler takes from a top-k row, on the GPU, for a decode step submitted before the
// step before it is read (engine/steps_ahead.ts): the host's choice among the top k (sampling/pick.ts,
// sample.ts steps 5-9) in f32. It is a guess: the host still samples the row it reads back, with the same u,
// and a step fed another token than the host's is dropped, so rounding at a boundary only costs a step.
// One invocation per row (n <= K <= 64 candidates), entries sorted by logit, the first the largest:
//   n = 0: the id draw.wgsl drew from the whole row (word 3 of the row), the host's token too
//   greedy (inv_temp 0): the first entry
//   e_j = exp((l_j - l_0) * inv_temp) over the first n entries with ids (empty slots come last), z = sum e_j
//   min_p keeps the prefix with e_j >= min_p; then, when top_p < 1 and its mass reaches top_p * z, the
//   shortest prefix whose mass does; the draw: the inverse CDF at u over what is left, in ascending id order.
// topk: [rows][4 + 2K] u32, topk.wgsl's out (K logits as f32 bits at word 4, K ids after them);
// rows: [m] Row; ids: u32 words, the chunk's token ids from word ids_at (model/chunk_inputs.ts).

override K: u32 = 1; // entries per row of topk (its k), 1..64

struct Params {
  m: u32,      // rows to pick: tokens of the chunk
  ids_at: u32, // word of `ids` where token 0's id goes
  _pad0: u32,
  _pad1: u32,
};

struct Row {
  src: u32,      // the row of topk to pick from
  n: u32,        // candidates: its first n entries (the request's k), 1..K; 0: the row's drawn id
  inv_temp: f32, // 1 / temperature (unitless); 0: greedy
  u: f32,        // the uniform draw, in [0, 1)
  top_p: f32,    // nucleus mass, in (0, 1]
  min_p: f32,    // least probability relative to the first entry's, in [0, 1)
  _pad0: u32,
  _pad1: u32,
};

const EMPTY_ID: u32 = 0xffffffffu; // topk.wgsl's empty slot

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> topk: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<Row>;
@group(0) @binding(3) var<storage, read_write> ids: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= params.m) {
    return;
  }
  let r = rows[t];
  let at = r.src * (4u + 2u * K) + 4u; // the row's first logit; its first id is K words on
  if (r.n == 0u) {
    ids[params.ids_at + t] = topk[at - 1u];
    return;
  }
  if (r.inv_temp == 0.0) {
    ids[params.ids_at + t] = topk[at + K];
    return;
  }
  var e: array<f32, 64>;
  let l0 = bitcast<f32>(topk[at]);
  var n = 0u;
  var z = 0.0;
  for (var j = 0u; j < min(r.n, K); j++) {
    if (topk[at + K + j] == EMPTY_ID) {
      break;
    }
    e[j] = exp((bitcast<f32>(topk[at + j]) - l0) * r.inv_temp);
    z += e[j];
    n = j + 1u;
  }
  var m = 0u; // survivors: entries [0, m)
  var kept = 0.0;
  for (var j = 0u; j < n; j++) {
    if (e[j] < r.min_p) {
      break;
    }
    kept += e[j];
    m = j + 1u;
  }
  let nucleus = r.top_p * z;
  if (r.top_p < 1.0 && kept >= nucleus) {
    var acc = 0.0;
    for (var j = 0u; j < m; j++) {
      acc += e[j];
      if (acc >= nucleus) {
        m = j + 1u;
        break;
      }
    }
  }
  // the draw, over the survivors in ascending id order: each round takes the next id up
  var zm = 0.0;
  var prev = 0u;
  var ordered: array<u32, 64>; // survivor positions by id
  for (var s = 0u; s < m; s++) {
    var best = 0u;
    var found = false;
    for (var j = 0u; j < m; j++) {
      let id = topk[at + K + j];
      if ((s == 0u || id > prev) && (!found || id < topk[at + K + best])) {
        best = j;
        found = true;
      }
    }
    ordered[s] = best;
    prev = topk[at + K + best];
    zm += e[best];
  }
  let u_mass = r.u * zm;
  var acc = 0.0;
  var chosen = topk[at + K];
  for (var s = 0u; s < m; s++) {
    let j = ordered[s];
    if (e[j] <= 0.0) {
      continue;
    }
    acc += e[j];
    chosen = topk[at + K + j];
    if (u_mass < acc) {
      break;
    }
  }
  ids[params.ids_at + t] = chosen;
}
