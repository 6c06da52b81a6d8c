// Where a matmul writes output row o of token t. Not a kernel: prepended to matmul.wgsl and matmul_q8.wgsl,
// whose Params end with the four fields used here. Rows of W may fall into up to three segments (a fused
// weight: q|k|v, or gate|up), each written as its own [tokens][rows of the segment] region of y:
//   rows 0 .. seg1 - 1:     y[t * y_stride + y_offset + o]                (as an unfused weight)
//   rows seg1 .. seg2 - 1:  y[base1 + t * (seg2 - seg1) + (o - seg1)]
//   rows seg2 .. n - 1:     y[base2 + t * (n - seg2) + (o - seg2)]
// seg1 = seg2 = n: one segment.

fn out_index(t: u32, o: u32) -> u32 {
  if (o >= params.seg2) {
    return params.base2 + t * (params.n - params.seg2) + (o - params.seg2);
  }
  if (o >= params.seg1) {
    return params.base1 + t * (params.seg2 - params.seg1) + (o - params.seg1);
  }
  return t * params.y_stride + params.y_offset + o;
}
