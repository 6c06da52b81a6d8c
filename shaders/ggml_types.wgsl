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

// Element i of the row starting at byte `row`, for GGML type `t` (0 F32, 1 F16, 2 Q4_0, 8 Q8_0, 30 BF16).
fn weight_at(t: u32, row: u32, i: u32) -> f32 {
  switch t {
    case 0u: { return bitcast<f32>(w[(row >> 2u) + i]); }
    case 1u: { return f16_at(row + 2u * i); }
    case 30u: { return bf16_at(row + 2u * i); }
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
    default: { return 0.0; }
  }
}
