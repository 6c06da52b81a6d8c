// Where and how a matmul writes its results. Not a kernel: prepended to matmul.wgsl and matmul_q8.wgsl, whose
// Params end with the five fields used here and which declare WG, TPR, TT, y and bias. Rows of W may fall into up
// to three segments (a fused weight: q|k|v, or gate|up), each written as its own [tokens][rows of the
// segment] region of y:
//   rows 0 .. seg1 - 1:     y[t * y_stride + y_offset + o]                (as an unfused weight)
//   rows seg1 .. seg2 - 1:  y[base1 + t * (seg2 - seg1) + (o - seg1)]
//   rows seg2 .. n - 1:     y[base2 + t * (n - seg2) + (o - seg2)]
// seg1 = seg2 = n: one segment. With BIAS, row o's result is stored plus bias[bias_at + o] (qwen2's q, k and v
// biases: no dispatch adds them after).

override BIAS: bool = false;

fn out_value(o: u32, v: f32) -> f32 {
  if (BIAS) {
    return v + bias[params.bias_at + o];
  }
  return v;
}

fn out_index(t: u32, o: u32) -> u32 {
  if (o >= params.seg2) {
    return params.base2 + t * (params.n - params.seg2) + (o - params.seg2);
  }
  if (o >= params.seg1) {
    return params.base1 + t * (params.seg2 - params.seg1) + (o - params.seg1);
  }
  return t * params.y_stride + params.y_offset + o;
}

override SG_LANES: u32 = 0u; // lanes summed by subgroup shuffles (subgroup_sum.wgsl appended): min(TPR, the
                              // adapter's smallest subgroup), so the order of the sums is the same in every
                              // pipeline; 0: none, a tree in shared memory

var<workgroup> partial: array<f32, WG * TT * RPI>; // [RPI][TT][WG]

// Sums the TPR lanes of each row (lane j = lid % TPR; the lanes of a row sit together) and writes the results of
// the invocation's RPI rows, o + r * WG / TPR, for tokens t0 .. t0 + nt - 1 (s[r * 8 + tt]: this invocation's
// partial sum of row r, token t0 + tt; the including kernel declares RPI). Each result is summed in the same
// order whatever RPI is: rows per invocation change no bit. Called from uniform control flow (nt is uniform
// across the workgroup): it has barriers, unless TPR = 1.
// SG_LANES: aligned groups of that many lanes (consecutive invocations, within one subgroup) sum by shuffles,
// and a row's TPR / SG_LANES group sums meet in `partial` after one barrier. Else a tree in `partial`, a
// barrier per halving.
fn reduce_store(s: array<f32, 32>, nt: u32, t0: u32, o: u32, j: u32, lid: u32) {
  let rows = WG / TPR; // the invocation's rows lie this far apart
  if (TPR == 1u) { // rows per invocation: nothing to reduce, and no barrier (a CPU adapter splits its loops there)
    for (var r = 0u; r < RPI; r++) {
      if (o + r * WG < params.n) {
        for (var tt = 0u; tt < nt; tt++) {
          y[out_index(t0 + tt, o + r * WG)] = out_value(o + r * WG, s[r * 8u + tt]);
        }
      }
    }
    return;
  }
  if (SG_LANES > 0u) {
    let lanes = max(SG_LANES, 1u); // (a pipeline without subgroups must still not divide by 0)
    for (var r = 0u; r < RPI; r++) {
      for (var tt = 0u; tt < nt; tt++) {
        let v = lanes_sum(s[r * 8u + tt], lanes);
        if (lid % lanes == 0u) {
          partial[(r * TT + tt) * WG + lid / lanes] = v; // a row's group sums at (its lid / TPR) * TPR / lanes ..
        }
      }
    }
    workgroupBarrier();
    if (j == 0u) {
      for (var r = 0u; r < RPI; r++) {
        if (o + r * rows < params.n) {
          for (var tt = 0u; tt < nt; tt++) {
            var v = 0.0;
            for (var i = 0u; i < TPR / lanes; i++) {
              v += partial[(r * TT + tt) * WG + lid / lanes + i];
            }
            y[out_index(t0 + tt, o + r * rows)] = out_value(o + r * rows, v);
          }
        }
      }
    }
    return;
  }
  for (var r = 0u; r < RPI; r++) {
    for (var tt = 0u; tt < nt; tt++) { // nt is uniform across the workgroup
      partial[(r * TT + tt) * WG + lid] = s[r * 8u + tt];
    }
  }
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride /= 2u) {
    if (j < stride) { // lanes of one row sit together: lid + stride stays in the row
      for (var r = 0u; r < RPI; r++) {
        for (var tt = 0u; tt < nt; tt++) {
          let at = (r * TT + tt) * WG + lid;
          partial[at] += partial[at + stride];
        }
      }
    }
    workgroupBarrier();
  }
  if (j == 0u) {
    for (var r = 0u; r < RPI; r++) {
      if (o + r * rows < params.n) {
        for (var tt = 0u; tt < nt; tt++) {
          y[out_index(t0 + tt, o + r * rows)] = out_value(o + r * rows, partial[(r * TT + tt) * WG + lid]);
        }
      }
    }
  }
}
