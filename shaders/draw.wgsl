// The sampler's draw over a whole row of logits (sampling/sample.ts steps 5-9 with top_k 0), on the GPU in
// f32, so that a sampled step reads back one id instead of the row (and can be fed to the next step before the
// host has read it, engine/steps_ahead.ts). Runs after topk.wgsl on the same (adjusted, masked) logits, and
// writes its id to word 3 of the row's topk output and the id's logit to word 2 (in place of lseT, which a
// drawn row does not need: the logprob of the token drawn, generate.ts).
// One workgroup per logit row; rows whose Draw has on = 0 are left alone. With M the row's max (topk's):
//   e_i = exp((l_i - M) * inv_temp); candidates: e_i > 0; Z = sum of their e
//   kept (min_p): e_i >= min_p (a prefix of the canonical order: logit descending, ties to the lower id)
//   nucleus (top_p < 1, when the kept mass reaches top_p * Z): the shortest canonical prefix whose mass does,
//     as a key threshold kappa (topk.wgsl's order keys) and the last id taken among logits tied at kappa;
//     from topk's entries when they reach it, else by bisecting the key range (8 thresholds a pass)
//   the draw: the inverse CDF at u * (the survivors' mass), over the survivors in ascending id order.
// A row whose max is not finite, or with no survivor, gets id 0xffffffff (the host samples it itself).
// Sums differ from the host's f64 ones by rounding: a draw near a boundary may take a neighbour.
// logits: [rows][v] f32; draws: [rows] Draw; out: [rows][4 + 2k] u32, topk.wgsl's (max at word 0, the k
// logits from word 4, their ids from word 4 + k).

override WG: u32 = 256; // invocations per workgroup, a power of two
const EMPTY_ID: u32 = 0xffffffffu; // no id (topk's empty slot; a row without a draw)
const ALL: u32 = 0xffffffffu;      // Row.last when every logit tied at kappa is in the nucleus

struct Params {
  rows: u32,     // logit rows
  v: u32,        // logits per row (vocabulary size), in elements
  k: u32,        // entries per row of out (topk's k)
  inv_temp: f32, // 1 / temperature (unitless, > 0)
};

struct Draw {
  on: u32,     // 1: draw this row; 0: leave it
  u: f32,      // the uniform draw, in [0, 1)
  top_p: f32,  // nucleus mass, in (0, 1]
  min_p: f32,  // least probability relative to the top token's, in [0, 1)
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> draws: array<Draw>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

var<workgroup> red_a: array<vec4<f32>, WG>; // reductions: sums, or the masses at thresholds 0..3
var<workgroup> red_b: array<vec4<f32>, WG>; // the masses at thresholds 4..7
var<workgroup> part: array<f32, WG>;        // scan: the running sums of the invocations' values
var<workgroup> w_first: atomic<u32>;        // first_past: the first invocation past the goal
var<workgroup> w_last: atomic<u32>;         // first_past: 1 + the last invocation with weight
var<workgroup> w_max: f32;                  // the row's max, from invocation 0
var<workgroup> w_walk: vec3<u32>;           // nucleus: (found, kappa, last) of the walk over topk's entries
var<workgroup> w_sel: u32;                  // first_past's answer
var<workgroup> w_id: u32;                   // locate: the id found in its piece

// A key whose u32 order is the f32 order of l (topk.wgsl's).
fn order_key(l: f32) -> u32 {
  var b = bitcast<u32>(l);
  if (b == 0x80000000u) {
    b = 0u; // -0 as +0
  }
  return select(b | 0x80000000u, ~b, (b >> 31u) == 1u);
}

// What a row's draw works with.
struct Row {
  at: u32,     // its first logit
  m: f32,      // its max
  t: f32,      // inv_temp
  min_p: f32,
  cut: bool,   // a nucleus applies
  kappa: u32,  // its key threshold
  last: u32,   // the last id taken among logits of key kappa (ALL: every one)
};

// Unnormalized probability of logit l (1 for the max; 0 for -inf and far below).
fn weight(r: Row, l: f32) -> f32 {
  return exp(max((l - r.m) * r.t, -200.0));
}

fn kept(r: Row, e: f32) -> bool {
  return e > 0.0 && e >= r.min_p;
}

fn survives(r: Row, l: f32, id: u32, e: f32) -> bool {
  if (!kept(r, e)) {
    return false;
  }
  let key = order_key(l);
  return !r.cut || key > r.kappa || (key == r.kappa && id <= r.last);
}

// The workgroup's sums of a and b, to every invocation.
fn reduce(a: vec4<f32>, b: vec4<f32>, lid: u32) -> array<vec4<f32>, 2> {
  red_a[lid] = a;
  red_b[lid] = b;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (lid < s) {
      red_a[lid] += red_a[lid + s];
      red_b[lid] += red_b[lid + s];
    }
    workgroupBarrier();
  }
  let r = array(workgroupUniformLoad(&red_a[0]), workgroupUniformLoad(&red_b[0]));
  workgroupBarrier(); // all have read them before the next reduce writes
  return r;
}

// The running sums of one value per invocation, in invocation order, into part (a parallel scan, log2(WG)
// steps; f32 sums of other groupings than a serial sum's, so first_past takes the first to pass, not the one
// whose start is below the goal).
fn scan(x: f32, lid: u32) {
  part[lid] = x;
  workgroupBarrier();
  for (var d = 1u; d < WG; d *= 2u) {
    var add = 0.0;
    if (lid >= d) {
      add = part[lid - d];
    }
    workgroupBarrier();
    part[lid] += add;
    workgroupBarrier();
  }
}

// Of the invocations whose x has weight, the first whose running sum (from base) passes goal: every
// invocation offers (after scan, sums = part), and the last with weight stands in when rounding leaves goal at
// or past the total. WG when none has weight.
fn first_past(x: f32, base: f32, goal: f32, lid: u32) -> u32 {
  if (lid == 0u) {
    atomicStore(&w_first, WG);
    atomicStore(&w_last, 0u);
  }
  workgroupBarrier();
  if (x > 0.0) {
    atomicMax(&w_last, lid + 1u); // + 1: 0 is "none" for a max
    if (base + part[lid] > goal) {
      atomicMin(&w_first, lid);
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let first = atomicLoad(&w_first);
    let last = atomicLoad(&w_last);
    w_sel = select(first, select(last - 1u, WG, last == 0u), first == WG);
  }
  return workgroupUniformLoad(&w_sel);
}

// Locates where a running sum over the row, in id order, passes a goal, in two levels: each invocation sums a
// run of consecutive ids, the runs' running sums tell which run holds the goal; then each invocation sums a
// piece of that run, and the pieces' running sums tell which piece, whose invocation walks it.
// mode 0: the survivors' e, goal frac * total; mode 1: one per kept logit of key kappa, goal frac (a
// count). Returns the id whose weight takes the sum past the goal (the last weighted id when rounding
// leaves the goal at or past the total), or EMPTY_ID when nothing has weight.
fn locate(r: Row, mode: u32, frac: f32, lid: u32) -> u32 {
  let span = (params.v + WG - 1u) / WG;
  let start = min(lid * span, params.v);
  let end = min(start + span, params.v);
  var s = 0.0;
  for (var i = start; i < end; i++) {
    s += item(r, mode, i);
  }
  scan(s, lid);
  let total = workgroupUniformLoad(&part[WG - 1u]);
  let goal = select(frac, frac * total, mode == 0u);
  let run = first_past(s, 0.0, goal, lid);
  if (run == WG) {
    return EMPTY_ID;
  }
  // the run's pieces
  let base = workgroupUniformLoad(&part[max(run, 1u) - 1u]) * select(0.0, 1.0, run > 0u);
  workgroupBarrier(); // all have read it before scan writes part
  let run_end = min(run * span + span, params.v);
  let piece = (span + WG - 1u) / WG;
  let p0 = min(run * span + lid * piece, run_end);
  let p1 = min(p0 + piece, run_end);
  var x = 0.0;
  for (var i = p0; i < p1; i++) {
    x += item(r, mode, i);
  }
  scan(x, lid);
  let at = first_past(x, base, goal, lid);
  if (lid == at) {
    var acc = base + select(0.0, part[max(at, 1u) - 1u], at > 0u);
    var last = EMPTY_ID;
    for (var i = p0; i < p1; i++) {
      let w = item(r, mode, i);
      if (w > 0.0) {
        acc += w;
        last = i;
        if (goal < acc) {
          break;
        }
      }
    }
    w_id = last;
  }
  let id = workgroupUniformLoad(&w_id);
  workgroupBarrier(); // all have read part and w_id before they are written again
  return select(id, EMPTY_ID, at == WG);
}

// locate's weight of logit i.
fn item(r: Row, mode: u32, i: u32) -> f32 {
  let l = logits[r.at + i];
  let e = weight(r, l);
  if (mode == 0u) {
    return select(0.0, e, survives(r, l, i, e));
  }
  return select(0.0, 1.0, kept(r, e) && order_key(l) == r.kappa);
}

// The nucleus of row `row` (r.cut set, the kept mass having reached the goal): r.kappa and r.last.
fn nucleus(row: u32, r_in: Row, goal: f32, lid: u32) -> Row {
  var r = r_in;
  let k = params.k;
  let o = row * (4u + 2u * k) + 4u; // the row's first entry
  // topk's entries are the canonical order's first k: the nucleus when their mass reaches the goal
  if (lid == 0u) {
    var acc = 0.0;
    var found = 0u;
    var kappa = 0u;
    var last = 0u;
    for (var j = 0u; j < k; j++) {
      let id = out[o + k + j];
      let l = bitcast<f32>(out[o + j]);
      let e = weight(r, l);
      if (id == EMPTY_ID || !kept(r, e)) {
        break;
      }
      acc += e;
      kappa = order_key(l);
      last = id;
      if (acc >= goal) {
        found = 1u;
        break;
      }
    }
    w_walk = vec3(found, kappa, last);
  }
  let b = workgroupUniformLoad(&w_walk);
  workgroupBarrier();
  if (b.x == 1u) {
    r.kappa = b.y;
    r.last = b.z;
    return r;
  }
  // bisect: kappa = the largest key whose kept mass at or above it reaches the goal (key 0 is below
  // every logit's, so all the kept mass is at or above it); the keys above the last entry's hold less
  var lo = 0u;
  var hi = b.y;
  loop {
    if (lo >= hi) {
      break;
    }
    let step = max((hi - lo) / 9u, 1u);
    var th: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) {
      th[j] = min(lo + step * (j + 1u), hi);
    }
    var a = vec4(0.0);
    var c = vec4(0.0);
    for (var i = lid; i < params.v; i += WG) {
      let l = logits[r.at + i];
      let e = weight(r, l);
      if (kept(r, e)) {
        let key = order_key(l);
        a += select(vec4(0.0), vec4(e), vec4(key) >= vec4(th[0], th[1], th[2], th[3]));
        c += select(vec4(0.0), vec4(e), vec4(key) >= vec4(th[4], th[5], th[6], th[7]));
      }
    }
    let f = reduce(a, c, lid);
    var new_lo = lo;
    var new_hi = hi;
    for (var j = 0u; j < 8u; j++) {
      let mass = select(f[1][j & 3u], f[0][j & 3u], j < 4u);
      if (mass >= goal) {
        new_lo = max(new_lo, th[j]);
      } else {
        new_hi = min(new_hi, th[j] - 1u);
      }
    }
    lo = new_lo;
    hi = max(new_hi, new_lo);
  }
  r.kappa = lo;
  // ties at kappa: the nucleus takes the fewest, by id, that reach the goal
  var a = vec4(0.0);
  for (var i = lid; i < params.v; i += WG) {
    let l = logits[r.at + i];
    let e = weight(r, l);
    if (kept(r, e)) {
      let key = order_key(l);
      a += select(vec4(0.0), vec4(e, 0.0, 0.0, 0.0), key > lo) + select(vec4(0.0), vec4(0.0, 1.0, e, 0.0), key == lo);
    }
  }
  let f = reduce(a, vec4(0.0), lid)[0];
  let tied = f.y;
  let e_tie = f.z / max(tied, 1.0);
  let need = clamp(ceil((goal - f.x) / e_tie), 1.0, tied);
  r.last = ALL;
  if (need < tied) {
    r.last = locate(r, 1u, need - 0.5, lid);
  }
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x; // uniform across the workgroup
  if (row >= params.rows) {
    return;
  }
  let d = draws[row];
  if (d.on == 0u) {
    return;
  }
  let word = row * (4u + 2u * params.k) + 3u;
  if (lid == 0u) {
    w_max = bitcast<f32>(out[row * (4u + 2u * params.k)]);
  }
  let m = workgroupUniformLoad(&w_max);
  if (!(abs(m) <= 3.4e38)) { // -inf (nothing allowed), +inf or NaN: the host's sampler decides
    if (lid == 0u) {
      out[word] = EMPTY_ID;
    }
    return;
  }
  var r = Row(row * params.v, m, params.inv_temp, d.min_p, false, 0u, ALL);
  if (d.top_p < 1.0) { // (without a nucleus, the draw's own pass sums what it needs)
    var a = vec4(0.0); // (Z, the kept mass)
    for (var i = lid; i < params.v; i += WG) {
      let e = weight(r, logits[r.at + i]);
      a += vec4(e, select(0.0, e, kept(r, e)), 0.0, 0.0);
    }
    let z = reduce(a, vec4(0.0), lid)[0];
    let goal = d.top_p * z.x;
    if (z.y >= goal) {
      r.cut = true;
      r = nucleus(row, r, goal, lid);
    }
  }
  let id = locate(r, 0u, d.u, lid);
  if (lid == 0u) {
    out[word] = id;
    if (id < params.v) {
      out[word - 1u] = bitcast<u32>(logits[r.at + id]); // its logit, in lseT's place (a drawn row needs no lseT)
    }
  }
}
