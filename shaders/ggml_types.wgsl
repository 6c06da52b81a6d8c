// Decoding GGUF weight types from raw u32 words. Not a kernel: it is prepended to the kernels that read
// weights (matmul.wgsl, embedding.wgsl), which declare `w: array<u32>` holding the weight bytes.
// Positions are in bytes. F16 decodes through unpack2x16float, so no shader-f16 is needed.

fn byte_at(p: u32) -> u32 {
  return (w[p >> 2u] >> ((p & 3u) * 8u)) & 0xffu;
}

fn f16_at(p: u32) -> f32 { // p even
  return unpack2x16float(w[p >> 2u])[(p >> 1u) & 1u];
}

fn bf16_at(p: u32) -> f32 { // p even; bf16 is the high half of an f32
  return bitcast<f32>(((w[p >> 2u] >> ((p & 2u) * 8u)) & 0xffffu) << 16u);
}

fn i8_at(p: u32) -> f32 { // sign-extends the byte
  return f32(bitcast<i32>(byte_at(p) << 24u) >> 24u);
}

// K-quant six-bit (scale, min) of sub-block s (0..7) from the 12 scale bytes at q (Q4_K, Q5_K):
// bytes 0..3 hold scales 0..3, bytes 4..7 mins 0..3 (six bits each); bytes 8..11 hold the low four bits of
// scales 4..7 (low nibble) and mins 4..7 (high nibble), whose top two bits are bits 6..7 of bytes 0..7.
fn scale_min_k4(q: u32, s: u32) -> vec2<f32> {
  if (s < 4u) {
    return vec2<f32>(f32(byte_at(q + s) & 63u), f32(byte_at(q + s + 4u) & 63u));
  }
  let lo = byte_at(q + s + 4u);
  return vec2<f32>(f32((lo & 15u) | ((byte_at(q + s - 4u) >> 6u) << 4u)), f32((lo >> 4u) | ((byte_at(q + s) >> 6u) << 4u)));
}

// The u32 at byte p, p even but not necessarily a multiple of 4 (Q5_0 / Q5_1 fifth bits).
fn u32_at_even(p: u32) -> u32 {
  if ((p & 2u) == 0u) {
    return w[p >> 2u];
  }
  return (w[p >> 2u] >> 16u) | (w[(p >> 2u) + 1u] << 16u); // the high half of one word, the low half of the next
}

// Where a repacked row's blocks start (src/model/repack.ts): after its k / 32 f16 scales, padded to 16 bytes.
fn repacked_qs(k: u32) -> u32 {
  return ((k / 32u) * 2u + 15u) & ~15u;
}

// Super-block sb of a Q6_K row of k elements at byte `row`: where its ql (128 bytes: low four bits) and qh
// (64: high two bits) and its 16 int8 scales start, and d. t = 14: the file's layout, 210-byte super-blocks of
// ql, qh, scales, d; t = 1014: repacked (src/model/repack.ts), the row's d's (f16, padded to 16 bytes), then
// its scales, 16 a super-block, then each super-block's ql and qh, 192 bytes, 16-byte aligned.
struct Q6Super {
  ql: u32, // bytes
  qh: u32, // bytes
  sc: u32, // bytes
  d: f32,
}

fn q6k_super(t: u32, row: u32, sb: u32, k: u32) -> Q6Super {
  if (t == 1014u) {
    let nsb = k / 256u;
    let sc = row + ((2u * nsb + 15u) & ~15u);
    let ql = sc + 16u * nsb + 192u * sb;
    return Q6Super(ql, ql + 128u, sc + 16u * sb, f16_at(row + 2u * sb));
  }
  let p = row + sb * 210u;
  return Q6Super(p, p + 128u, p + 192u, f16_at(p + 208u));
}

// 32-element block blk of a Q6_K row (matmul.wgsl; layouts as q6k_super): the block is elements 32c .. 32c+31
// of half h of super-block blk / 8, whose element j has its low four bits in byte ql + j (>> lsh), its high
// two in byte qh + j (>> hsh), and the int8 scale at sc (elements 0..15) or sc + 1 (16..31), times d.
struct Q6Block {
  ql: u32, // bytes
  qh: u32, // bytes
  sc: u32, // bytes
  lsh: u32, // bits
  hsh: u32, // bits
  d: f32,
}

fn q6k_block(t: u32, row: u32, blk: u32, k: u32) -> Q6Block {
  let s = q6k_super(t, row, blk / 8u, k);
  let h = (blk % 8u) / 4u;
  let c = blk % 4u;
  return Q6Block(s.ql + 64u * h + 32u * (c % 2u), s.qh + 32u * h, s.sc + 8u * h + 2u * c, 4u * (c / 2u), 2u * c, s.d);
}

// Element i of the row of k elements starting at byte `row`, for GGML type `t` (ids as ggml.h: 0 F32, 1 F16,
// 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1, 8 Q8_0, 12 Q4_K, 13 Q5_K, 14 Q6_K, 30 BF16), or Q8_0 / Q4_0 / Q6_K rows
// repacked at upload (1008, 1002, 1014). Layouts: src/gguf/quant.ts, kquant.ts, src/model/repack.ts.
fn weight_at(t: u32, row: u32, i: u32, k: u32) -> f32 {
  switch t {
    case 0u: { return bitcast<f32>(w[(row >> 2u) + i]); }
    case 1u: { return f16_at(row + 2u * i); }
    case 30u: { return bf16_at(row + 2u * i); }
    case 1008u: { // Q8_0, repacked row: the row's f16 scales (padded to 16 bytes), then its 32-byte int8 blocks
      return f16_at(row + 2u * (i / 32u)) * i8_at(row + repacked_qs(k) + i);
    }
    case 1002u: { // Q4_0, repacked row: scales, then 16-byte blocks; low nibble -> element j, high -> j + 16
      let j = i % 32u;
      let q = byte_at(row + repacked_qs(k) + (i / 32u) * 16u + j % 16u);
      return f16_at(row + 2u * (i / 32u)) * (f32(select(q & 15u, q >> 4u, j >= 16u)) - 8.0);
    }
    case 8u: { // Q8_0 block: f16 scale, 32 x int8
      let p = row + (i / 32u) * 34u;
      return f16_at(p) * i8_at(p + 2u + i % 32u);
    }
    case 2u: { // Q4_0 block: f16 scale, 16 bytes; low nibble -> element j, high nibble -> element j + 16
      let p = row + (i / 32u) * 18u;
      let j = i % 32u;
      let q = byte_at(p + 2u + j % 16u);
      let nib = select(q & 15u, q >> 4u, j >= 16u);
      return f16_at(p) * (f32(nib) - 8.0);
    }
    case 3u: { // Q4_1 block: f16 scale d, f16 min m, nibbles as Q4_0; x = d q + m
      let p = row + (i / 32u) * 20u;
      let j = i % 32u;
      let q = (byte_at(p + 4u + j % 16u) >> ((j / 16u) * 4u)) & 15u;
      return f16_at(p) * f32(q) + f16_at(p + 2u);
    }
    case 6u: { // Q5_0 block: f16 scale, u32 of fifth bits, nibbles as Q4_0; x = d (q - 16)
      let p = row + (i / 32u) * 22u;
      let j = i % 32u;
      let q = ((byte_at(p + 6u + j % 16u) >> ((j / 16u) * 4u)) & 15u) | (((u32_at_even(p + 2u) >> j) & 1u) << 4u);
      return f16_at(p) * (f32(q) - 16.0);
    }
    case 7u: { // Q5_1 block: f16 scale, f16 min, u32 of fifth bits, nibbles; x = d q + m
      let p = row + (i / 32u) * 24u;
      let j = i % 32u;
      let q = ((byte_at(p + 8u + j % 16u) >> ((j / 16u) * 4u)) & 15u) | (((u32_at_even(p + 4u) >> j) & 1u) << 4u);
      return f16_at(p) * f32(q) + f16_at(p + 2u);
    }
    case 12u, 13u: { // Q4_K / Q5_K super-block of 256: element 64g + 32h + l is nibble h of qs[32g + l]
      let big = t == 13u;
      let p = row + (i / 256u) * select(144u, 176u, big);
      let e = i % 256u;
      let s = e / 32u; // sub-block
      let l = e % 32u;
      let sm = scale_min_k4(p + 4u, s);
      var q = (byte_at(p + select(16u, 48u, big) + 32u * (s / 2u) + l) >> ((s % 2u) * 4u)) & 15u;
      if (big) {
        q |= ((byte_at(p + 16u + l) >> s) & 1u) << 4u; // fifth bit: bit s of qh[l]
      }
      return f16_at(p) * sm.x * f32(q) - f16_at(p + 2u) * sm.y;
    }
    case 14u, 1014u: { // Q6_K super-block of 256 (q6k_super): element 128h + 32c + l
      let s = q6k_super(t, row, i / 256u, k);
      let e = i % 256u;
      let h = e / 128u;
      let c = (e / 32u) % 4u;
      let l = e % 32u;
      let lo = (byte_at(s.ql + 64u * h + 32u * (c % 2u) + l) >> (4u * (c / 2u))) & 15u;
      let hi = (byte_at(s.qh + 32u * h + l) >> (2u * c)) & 3u;
      return s.d * i8_at(s.sc + e / 16u) * (f32(lo | (hi << 4u)) - 32.0);
    }
    default: { return 0.0; }
  }
}
