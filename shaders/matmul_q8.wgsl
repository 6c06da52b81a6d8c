// y = x W^T with integer dot products, for Q8_0, Q4_0 and Q6_K weights in repacked rows (src/model/repack.ts)
// and Q4_K in the GGUF layout, x quantized to 8-bit blocks by quantize_q8.wgsl, as llama.cpp computes these types:
//   y[t, o] = sum over blocks b of  dw[o, b] * dx[t, b] * sum_i n[o, b, i] q[t, b, i]   (Q8_0: n = the int8)
//   Q4_0: n = nibble - 8, so the integer sum is  sum_i nibble_i q_i - 8 * sumq[t, b]
//   Q4_K: block b is sub-block b % 8 of super-block b / 8, whose elements are d sc_b nibble - dmin m_b, so
//         the block's term is  dx[t, b] * (d sc_b * sum_i nibble_i q_i - dmin m_b * sumq[t, b])
//   Q6_K: block b is elements 32c .. 32c+31 of half h of super-block b / 8 (h = b % 8 / 4, c = b % 4), whose
//         16-element halves have scales d s0 and d s1 and elements q6 - 32; the term is
//         dx[t, b] * (d s0 * sum_{i<16} (q6_i - 32) q_i + d s1 * sum_{i>=16} (q6_i - 32) q_i)
// Four int8 products a word through dot4I8Packed: 8 per 32-element block instead of 32 conversions and
// multiplies of floats. Structure as matmul.wgsl: WG / TPR rows per workgroup, TPR lanes of a row striding
// over its blocks, TT tokens per workgroup (prefill) sharing each weight block, a reduction (matmul_out.wgsl);
// each token's sum runs over the blocks in the same order whatever TT is (batched = alone, bitwise).
// xq: [tokens][k / 4] u32 (four int8 each); xd: [tokens][k / 32] (d, sumq). Groups past 65535 spill into
// wg.y; groups of TT tokens are wg.z. Split weights: one dispatch per part (y_offset, y_stride); fused
// weights: output segments (matmul_out.wgsl, prepended by the wrapper).

override WG: u32 = 64;  // invocations per workgroup, a power of two
override TPR: u32 = 64; // invocations per output row, a power of two <= WG
override TT: u32 = 1;   // tokens per workgroup (1..8)
override RPI: u32 = 1;  // output rows per invocation (1..4), WG / TPR rows apart: each x block read serves RPI
                        // rows (prefill on a CPU adapter; on a GPU, bench --prefill-rows)
override WTYPE: u32 = 1008u; // 1008 Q8_0, 1002 Q4_0 or 1014 Q6_K, repacked rows; 12 Q4_K (GGUF super-blocks of 144 bytes)

struct Params {
  k: u32,         // row length of W and x, in elements (a multiple of 32)
  n: u32,         // rows of W = outputs per token
  m: u32,         // tokens
  w_offset: u32,  // start of W in the `w` binding, in bytes (a multiple of 16)
  row_bytes: u32, // bytes per row of W
  x_offset: u32,  // first element of x, in elements (a multiple of 32)
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
@group(0) @binding(1) var<storage, read> w: array<u32>; // the weight scales (f16, Q4_K's six-bit), through f16_at
@group(0) @binding(2) var<storage, read> xq: array<vec4<u32>>; // 16 int8 of x per word
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> w4: array<vec4<u32>>; // the same bytes as w: the weight blocks
@group(0) @binding(5) var<storage, read> xd: array<vec2<f32>>; // (d, sumq) per block of x
@group(0) @binding(6) var<storage, read> bias: array<f32>; // [.. bias_at + n] with BIAS; else any buffer, unread

// One block of a weight row, as the integer dot takes it.
struct WBlock {
  dw: f32,         // the block's scale (Q4_K: d sc_b; Q6_K: elements 0..15's, d s0)
  dw2: f32,        // Q6_K: elements 16..31's scale, d s1
  mw: f32,         // Q4_K: dmin m_b; else 0
  lo: vec4<u32>,   // Q8_0: int8 0..15; Q4_0, Q4_K: nibbles of elements 0..15, as bytes 0..15; Q6_K: q6 - 32 as int8
  hi: vec4<u32>,   // elements 16..31, as lo
};

// Q6_K: four words of elements' q6 - 32 as int8, from words of their low-bit bytes (nibble lsh / 4) and
// high-bit bytes (bit pair hsh / 2). q6 + 96 stays in a byte; flipping bit 7 then takes 128 off or adds it:
// q6 - 32 mod 256.
fn q6_words(ql: vec4<u32>, qh: vec4<u32>, lsh: u32, hsh: u32) -> vec4<u32> {
  let q6 = ((ql >> vec4<u32>(lsh)) & vec4<u32>(0x0f0f0f0fu)) | (((qh >> vec4<u32>(hsh)) & vec4<u32>(0x03030303u)) << vec4<u32>(4u));
  return (q6 + vec4<u32>(0x60606060u)) ^ vec4<u32>(0x80808080u);
}

// Q6_K block c (0..3) of a half super-block: elements 32c .., whose low bits are nibble c / 2 of ql bytes
// 32 (c % 2) .. (the words l0, l1), high bits pair c of the half's 32 qh bytes (h0, h1), and whose scales are
// int8 2c and 2c + 1 of the half's eight (the word sw: bytes 2 (c % 2), 2 (c % 2) + 1 of sc[c / 2]).
fn q6_block(l0: vec4<u32>, l1: vec4<u32>, h0: vec4<u32>, h1: vec4<u32>, c: u32, sw: u32, d: f32) -> WBlock {
  var b: WBlock;
  let v = sw >> (16u * (c % 2u));
  b.dw = d * f32(bitcast<i32>(v << 24u) >> 24u);
  b.dw2 = d * f32(bitcast<i32>(v << 16u) >> 24u);
  b.lo = q6_words(l0, h0, 4u * (c / 2u), 2u * c);
  b.hi = q6_words(l1, h1, 4u * (c / 2u), 2u * c);
  return b;
}

// Q6_K (repacked rows): the four blocks of half u % 2 of super-block u / 2 of the row at byte `row`, from
// the half's 64 bytes of low bits and 32 of high bits: six aligned 16-byte words, each read once for the four
// (decode; in the file's layout a block read 32 + 32 bytes, half of them from words 2 bytes off).
fn q6_half(row: u32, u: u32) -> array<WBlock, 4> {
  let s = q6k_super(1014u, row, u / 2u, params.k);
  let h = u % 2u;
  let l = (s.ql + 64u * h) >> 4u;
  let qh = (s.qh + 32u * h) >> 4u;
  let l0 = w4[l];
  let l1 = w4[l + 1u];
  let l2 = w4[l + 2u];
  let l3 = w4[l + 3u];
  let h0 = w4[qh];
  let h1 = w4[qh + 1u];
  let sc = (s.sc + 8u * h) >> 2u; // the half's eight scales, two words
  let sa = w[sc];
  let sb = w[sc + 1u];
  return array<WBlock, 4>(q6_block(l0, l1, h0, h1, 0u, sa, s.d), q6_block(l2, l3, h0, h1, 1u, sa, s.d),
                          q6_block(l0, l1, h0, h1, 2u, sb, s.d), q6_block(l2, l3, h0, h1, 3u, sb, s.d));
}

// Q6_K (repacked rows): block blk of the row at byte `row` alone, from four aligned 16-byte words: prefill,
// where each x block read serves the invocation's rows, and rows of several lanes (GPUs).
fn q6_block_at(row: u32, blk: u32) -> WBlock {
  let s = q6k_super(1014u, row, blk / 8u, params.k);
  let h = (blk / 4u) % 2u;
  let c = blk % 4u;
  let l = ((s.ql + 64u * h) >> 4u) + 2u * (c % 2u);
  let qh = (s.qh + 32u * h) >> 4u;
  return q6_block(w4[l], w4[l + 1u], w4[qh], w4[qh + 1u], c, w[((s.sc + 8u * h) >> 2u) + c / 2u], s.d);
}

// The integer sums of a block's elements 0..15 and 16..31 (weights lo, hi) with x's (a, b).
fn block_dots(lo: vec4<u32>, hi: vec4<u32>, a: vec4<u32>, b: vec4<u32>) -> vec2<i32> {
  let i0 = dot4I8Packed(lo.x, a.x) + dot4I8Packed(lo.y, a.y) + dot4I8Packed(lo.z, a.z) + dot4I8Packed(lo.w, a.w);
  let i1 = dot4I8Packed(hi.x, b.x) + dot4I8Packed(hi.y, b.y) + dot4I8Packed(hi.z, b.z) + dot4I8Packed(hi.w, b.w);
  return vec2<i32>(i0, i1);
}

fn weight_block(row: u32, blk: u32) -> WBlock { // block blk of the row at byte `row`
  var b: WBlock;
  if (WTYPE == 12u) {
    let p = row + (blk / 8u) * 144u; // super-block: d, dmin (f16), 12 bytes of scales, 128 of nibbles
    let sb = blk % 8u;
    let sm = scale_min_k4(p + 4u, sb);
    let dd = unpack2x16float(w[p >> 2u]); // d and dmin, one word: super-blocks sit at multiples of 16 bytes
    b.dw = dd.x * sm.x;
    b.mw = dd.y * sm.y;
    let q = (p + 16u + 32u * (sb / 2u)) >> 4u; // 32 bytes: sub-block 2c in the low nibbles, 2c + 1 in the high
    let shift = vec4<u32>((sb % 2u) * 4u);
    b.lo = (w4[q] >> shift) & vec4<u32>(0x0f0f0f0fu);
    b.hi = (w4[q + 1u] >> shift) & vec4<u32>(0x0f0f0f0fu);
  } else if (WTYPE == 1014u) {
    b = q6_block_at(row, blk);
  } else if (WTYPE == 1008u) {
    let qs = (row + repacked_qs(params.k)) >> 4u; // the row's first block, in 16-byte words (repacked rows)
    b.dw = f16_at(row + 2u * blk);
    b.lo = w4[qs + 2u * blk];
    b.hi = w4[qs + 2u * blk + 1u];
  } else {
    let qs = (row + repacked_qs(params.k)) >> 4u;
    b.dw = f16_at(row + 2u * blk);
    let p = w4[qs + blk];
    b.lo = p & vec4<u32>(0x0f0f0f0fu);
    b.hi = (p >> vec4<u32>(4u)) & vec4<u32>(0x0f0f0f0fu);
  }
  return b;
}

// The byte where output row o's weights start; rows past n (the last group's) are read as row n - 1, never stored.
fn row_at(o: u32) -> u32 {
  return params.w_offset + min(o, params.n - 1u) * params.row_bytes;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let j = lid % TPR; // lane within the row
  let rows = WG / TPR; // rows of one pass of the workgroup; its RPI passes cover RPI * rows rows
  let o = (wg.x + wg.y * nwg.x) * rows * RPI + lid / TPR; // first output row; the others follow `rows` apart
  let t0 = wg.z * TT; // first of this workgroup's tokens
  let nt = min(TT, params.m - t0);
  let nb = params.k / 32u; // blocks per row
  var s: array<f32, 32>; // s[r * 8 + tt]: partial sum of row o + r * rows, token t0 + tt
  if (o < params.n) { // no early return: every invocation must reach the barriers
    let xb = params.x_offset / 32u + t0 * nb; // token t0's first block of x
    if (WTYPE == 1014u && TPR == 1u && TT == 1u) {
      // Q6_K decode with one lane per row (a CPU adapter): half a super-block (four blocks) at a time, each
      // row's in turn; the blocks are summed in order, as below, so batched = alone still holds
      for (var u = 0u; u < nb / 4u; u++) {
        for (var r = 0u; r < RPI; r++) {
          var wb = q6_half(row_at(o + r * rows), u);
          for (var c = 0u; c < 4u; c++) {
            let xi = xb + 4u * u + c; // one token
            let i = block_dots(wb[c].lo, wb[c].hi, xq[2u * xi], xq[2u * xi + 1u]);
            s[r * 8u] += xd[xi].x * (wb[c].dw * f32(i.x) + wb[c].dw2 * f32(i.y));
          }
        }
      }
    } else {
      for (var blk = j; blk < nb; blk += TPR) {
        var wb: array<WBlock, 4>; // the block of each of the invocation's rows
        for (var r = 0u; r < RPI; r++) {
          wb[r] = weight_block(row_at(o + r * rows), blk);
        }
        for (var tt = 0u; tt < nt; tt++) {
          let xi = xb + tt * nb + blk;
          let a = xq[2u * xi];
          let b = xq[2u * xi + 1u];
          let dx = xd[xi];
          for (var r = 0u; r < RPI; r++) {
            let i = block_dots(wb[r].lo, wb[r].hi, a, b);
            var isum = i.x + i.y;
            if (WTYPE == 1002u) {
              isum -= 8 * i32(dx.y);
            }
            if (WTYPE == 12u) {
              s[r * 8u + tt] += dx.x * (wb[r].dw * f32(isum) - wb[r].mw * dx.y);
            } else if (WTYPE == 1014u) {
              s[r * 8u + tt] += dx.x * (wb[r].dw * f32(i.x) + wb[r].dw2 * f32(i.y));
            } else {
              s[r * 8u + tt] += wb[r].dw * dx.x * f32(isum);
            }
          }
        }
      }
    }
  }
  reduce_store(s, nt, t0, o, j, lid);
}
