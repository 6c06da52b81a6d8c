// y = x W^T for one weight matrix stored in a GGUF type, dequantized on the fly (never expanded in memory):
//   y[t, o] = sum_i W[o, i] * x[t, i]      x: [m][k] f32, W: [n][k] in WTYPE, y: [m][n] f32
// A workgroup of WG invocations handles WG / TPR output rows of TT tokens: TPR invocations ("lanes") per
// row stride over the row's 32-element blocks (for K-quants, the 32-element slices of their 256-element
// super-blocks), decode each block once, apply it to every token, and reduce (shared memory, or subgroup
// shuffles where the device has them: matmul_out.wgsl). The wrapper
// picks TPR from k so that short rows (a 64-wide model's 150k-row lm_head) do not leave most lanes idle, and
// TT = 8 for prefill (weights read once per 8 tokens), 1 for decode. Groups past 65535 spill into wg.y;
// groups of TT tokens are wg.z. x is read as vec4s: quantized rows have k and offsets multiples of 4.
// W is read as raw u32 words through the decoders of ggml_types.wgsl (prepended by the wrapper); repacked
// Q8_0 / Q4_0 rows (16-byte aligned blocks) as 16-byte words through w4, a second binding of the same bytes.
// Split weights: one dispatch per part, writing columns y_offset.. of rows y_stride long. Fused weights: rows
// in up to three output segments (matmul_out.wgsl, prepended by the wrapper).

override WG: u32 = 64;  // invocations per workgroup, a power of two
override TPR: u32 = 64; // invocations per output row, a power of two <= WG
override TT: u32 = 1;   // tokens per workgroup (1..8): prefill decodes each weight block once for TT tokens
const RPI = 1u;         // output rows per invocation (matmul_out.wgsl's reduce_store; matmul_q8.wgsl may take more)
override WTYPE: u32 = 0u; // GGML type id: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1, 8 Q8_0, 12 Q4_K, 13 Q5_K, 14 Q6_K, 30 BF16;
                          // or repacked rows: 1008 Q8_0, 1002 Q4_0, 1014 Q6_K (src/model/repack.ts)

struct Params {
  k: u32,         // row length of W and x, in elements (a multiple of the type's block: 32, or 256 for K-quants)
  n: u32,         // rows of W = outputs per token
  m: u32,         // tokens
  w_offset: u32,  // start of W in the `w` binding, in bytes (a multiple of 4; of 16 for repacked rows)
  row_bytes: u32, // bytes per row of W
  x_offset: u32,  // first element of x, in elements
  y_offset: u32,  // column of y that output row 0 goes to, in elements
  y_stride: u32,  // elements per token row of y (>= y_offset + n)
  seg1: u32,      // first row of W in output segment 1 (matmul_out.wgsl); n: none
  seg2: u32,      // first row of segment 2; n: none
  base1: u32,     // element of y where segment 1's [m][seg2 - seg1] region starts
  base2: u32,     // element of y where segment 2's [m][n - seg2] region starts
  bias_at: u32,   // element of bias for row 0 (read with BIAS only)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>; // [m][k] f32, read 4 at a time (buffer padded to 16 bytes)
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> w4: array<vec4<u32>>; // the same bytes as w, 16 at a time (repacked rows)
@group(0) @binding(5) var<storage, read> bias: array<f32>; // [.. bias_at + n] with BIAS; else any buffer, unread

fn xs(i: u32) -> f32 { // element i of x
  return x[i >> 2u][i & 3u];
}

fn x4(i: u32) -> vec4<f32> { // elements i .. i+3 of x, i a multiple of 4 (quantized rows: k and offsets are)
  return x[i >> 2u];
}

fn bytes4(v: u32) -> vec4<u32> { // the four bytes of a word, lowest first
  return vec4<u32>(v, v >> 8u, v >> 16u, v >> 24u) & vec4<u32>(0xffu);
}

fn i8x4(v: u32) -> vec4<f32> { // the four bytes of a word as signed integers, lowest first
  return vec4<f32>(vec4<i32>(bitcast<i32>(v << 24u), bitcast<i32>(v << 16u), bitcast<i32>(v << 8u), bitcast<i32>(v)) >> vec4<u32>(24u));
}

// Float weights (F32, F16, BF16; any k): dot product of elements 32*blk .. 32*blk+31 (those below k) of the
// row starting at byte `row` with x[xb + 32*blk ..], one element at a time.
fn float_dot(row: u32, blk: u32, xb: u32) -> f32 {
  let i0 = blk * 32u;
  var s = 0.0;
  for (var j = 0u; j < 32u && i0 + j < params.k; j++) {
    var wv = 0.0;
    switch WTYPE {
      case 1u: { wv = f16_at(row + 2u * (i0 + j)); }
      case 30u: { wv = bf16_at(row + 2u * (i0 + j)); }
      default: { wv = bitcast<f32>(w[(row >> 2u) + i0 + j]); }
    }
    s += wv * xs(xb + i0 + j);
  }
  return s;
}

// Quantized weights: the 32 values of block `blk` of the row at byte `row` (for K-quants, the 32-element
// slice blk % 8 of super-block blk / 8), dequantized, scales applied: wv[j] holds elements 4j .. 4j+3.
// Decoded once per block and applied to each of the workgroup's TT tokens.
fn block_w(row: u32, blk: u32) -> array<vec4<f32>, 8> {
  var wv: array<vec4<f32>, 8>;
  switch WTYPE {
    case 1008u: { // Q8_0, repacked row (src/model/repack.ts): scale blk among the row's scales, then the
      // block's 32 int8 in two 16-byte words
      let d = f16_at(row + 2u * blk);
      let q = (row + repacked_qs(params.k) + 32u * blk) >> 4u;
      let a = w4[q];
      let b = w4[q + 1u];
      wv[0] = d * i8x4(a.x); wv[1] = d * i8x4(a.y); wv[2] = d * i8x4(a.z); wv[3] = d * i8x4(a.w);
      wv[4] = d * i8x4(b.x); wv[5] = d * i8x4(b.y); wv[6] = d * i8x4(b.z); wv[7] = d * i8x4(b.w);
    }
    case 1002u: { // Q4_0, repacked row: the block's 16 nibble bytes in one 16-byte word
      let d = f16_at(row + 2u * blk);
      let a = w4[(row + repacked_qs(params.k) + 16u * blk) >> 4u];
      for (var j = 0u; j < 4u; j++) { // bytes 4j .. 4j+3: elements 4j .. and 16 + 4j ..
        let nib = bytes4(a[j]);
        wv[j] = d * vec4<f32>(nib & vec4<u32>(15u)) - 8.0 * d;
        wv[j + 4u] = d * vec4<f32>(nib >> vec4<u32>(4u)) - 8.0 * d;
      }
    }
    case 8u: { // Q8_0: f16 scale, 32 x int8, a word (4 elements) at a time
      let p = row + blk * 34u;
      let d = f16_at(p);
      for (var j = 0u; j < 8u; j++) {
        wv[j] = d * i8x4(u32_at_even(p + 2u + 4u * j));
      }
    }
    case 2u: { // Q4_0: f16 scale, 16 bytes; low nibble -> element j, high nibble -> element j + 16
      let p = row + blk * 18u;
      let d = f16_at(p);
      for (var j = 0u; j < 4u; j++) { // bytes 4j .. 4j+3
        let b = bytes4(u32_at_even(p + 2u + 4u * j));
        wv[j] = d * (vec4<f32>(b & vec4<u32>(15u)) - 8.0);
        wv[j + 4u] = d * (vec4<f32>(b >> vec4<u32>(4u)) - 8.0);
      }
    }
    case 3u, 6u, 7u: { // Q4_1, Q5_0, Q5_1: nibbles as Q4_0; Q5 types add a fifth bit: bit j of a u32 qh
      // bytes: Q4_1 d@0 m@2 qs@4 (20 per block); Q5_0 d@0 qh@2 qs@6 (22); Q5_1 d@0 m@2 qh@4 qs@8 (24)
      var size = 20u;
      var qh_at = 0u;
      var qs_at = 4u;
      if (WTYPE == 6u) { size = 22u; qh_at = 2u; qs_at = 6u; }
      if (WTYPE == 7u) { size = 24u; qh_at = 4u; qs_at = 8u; }
      let p = row + blk * size;
      var qh = 0u;
      if (qh_at != 0u) { qh = u32_at_even(p + qh_at); }
      let d = f16_at(p);
      let base = select(f16_at(p + 2u), -16.0 * d, WTYPE == 6u); // what q = 0 decodes to: m, or -16 d
      for (var j = 0u; j < 4u; j++) { // bytes 4j .. 4j+3: elements 4j .. and 16 + 4j ..
        let b = bytes4(u32_at_even(p + qs_at + 4u * j));
        let bit = vec4<u32>(4u * j) + vec4<u32>(0u, 1u, 2u, 3u);
        let lo = (b & vec4<u32>(15u)) | (((vec4<u32>(qh) >> bit) & vec4<u32>(1u)) << vec4<u32>(4u));
        let hi = (b >> vec4<u32>(4u)) | (((vec4<u32>(qh) >> (bit + vec4<u32>(16u))) & vec4<u32>(1u)) << vec4<u32>(4u));
        wv[j] = d * vec4<f32>(lo) + base;
        wv[j + 4u] = d * vec4<f32>(hi) + base;
      }
    }
    case 12u, 13u: { // Q4_K / Q5_K: this block is sub-block blk % 8 of super-block blk / 8
      let big = WTYPE == 13u;
      let p = row + (blk / 8u) * select(144u, 176u, big); // super-blocks, and so qs and qh, are word-aligned
      let sb = blk % 8u;
      let qs = p + select(16u, 48u, big) + 32u * (sb / 2u);
      let shift = (sb % 2u) * 4u;
      let sm = scale_min_k4(p + 4u, sb);
      let scale = f16_at(p) * sm.x;
      let offset = f16_at(p + 2u) * sm.y; // x = d sc q - dmin m
      for (var l = 0u; l < 8u; l++) { // bytes 4l .. 4l+3
        var q = (bytes4(w[(qs >> 2u) + l]) >> vec4<u32>(shift)) & vec4<u32>(15u);
        if (big) {
          q |= ((bytes4(w[((p + 16u) >> 2u) + l]) >> vec4<u32>(sb)) & vec4<u32>(1u)) << vec4<u32>(4u);
        }
        wv[l] = scale * vec4<f32>(q) - offset;
      }
    }
    case 14u, 1014u: { // Q6_K, in the file's layout or repacked rows (q6k_block)
      let q = q6k_block(WTYPE, row, blk, params.k);
      let s0 = q.d * i8_at(q.sc); // elements 0..15
      let s1 = q.d * i8_at(q.sc + 1u); // elements 16..31
      for (var l = 0u; l < 8u; l++) { // bytes 4l .. 4l+3
        let lo = (bytes4(u32_at_even(q.ql + 4u * l)) >> vec4<u32>(q.lsh)) & vec4<u32>(15u);
        let hi = (bytes4(u32_at_even(q.qh + 4u * l)) >> vec4<u32>(q.hsh)) & vec4<u32>(3u);
        wv[l] = select(s1, s0, l < 4u) * (vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0);
      }
    }
    default: {}
  }
  return wv;
}

override FLOAT_W: bool = WTYPE == 0u || WTYPE == 1u || WTYPE == 30u; // read element by element

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let j = lid % TPR; // lane within the row
  let o = (wg.x + wg.y * nwg.x) * (WG / TPR) + lid / TPR; // output row
  let t0 = wg.z * TT; // first of this workgroup's tokens
  let nt = min(TT, params.m - t0);
  var s: array<f32, 32>; // s[tt]: partial sum of token t0 + tt (reduce_store's layout, one row)
  if (o < params.n) { // no early return: every invocation must reach the barriers
    let row = params.w_offset + o * params.row_bytes;
    let xb = params.x_offset + t0 * params.k;
    for (var blk = j; blk * 32u < params.k; blk += TPR) {
      if (FLOAT_W) {
        for (var tt = 0u; tt < nt; tt++) {
          s[tt] += float_dot(row, blk, xb + tt * params.k);
        }
      } else {
        let wv = block_w(row, blk);
        for (var tt = 0u; tt < nt; tt++) {
          let xe = xb + tt * params.k + blk * 32u;
          var acc = 0.0;
          for (var q = 0u; q < 8u; q++) {
            acc += dot(wv[q], x4(xe + 4u * q));
          }
          s[tt] += acc;
        }
      }
    }
  }
  reduce_store(s, nt, t0, o, j, lid);
}
