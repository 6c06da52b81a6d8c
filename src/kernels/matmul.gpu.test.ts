import { kernelSuite } from './suite.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { Q4_0_R, Q6_K_R, Q8_0_R, type WeightType } from '../model/repack.ts';
import { checkMatmul, matmulCases, subgroupCase } from './matmul.check.ts';
import { MATMUL_CODE } from './matmul.ts';

const typeCases = (t: WeightType) => matmulCases(11, 1).filter((c) => c.type === t);
kernelSuite('matmul', {
  code: MATMUL_CODE,
  cases: matmulCases(11),
  seed: 11,
  check: checkMatmul,
  mutations: [
    ['segment 2 written over segment 1', matmulCases(11, 1).filter((c) => c.segments), 'return params.base2 + t * (params.n - params.seg2) + (o - params.seg2);', 'return params.base1 + t * (params.n - params.seg2) + (o - params.seg2);'],
    ['segment 1 rows strided as segment 0', matmulCases(11, 1).filter((c) => c.segments), 'return params.base1 + t * (params.seg2 - params.seg1) + (o - params.seg1);', 'return params.base1 + t * params.y_stride + (o - params.seg1);'],
    ['Q4_0 nibbles swapped', typeCases(GgmlType.Q4_0), 'wv[j] = d * (vec4<f32>(b & vec4<u32>(15u)) - 8.0);', 'wv[j] = d * (vec4<f32>(b >> vec4<u32>(4u)) - 8.0);'],
    ['Q8_0 not sign-extended', typeCases(GgmlType.Q8_0), 'vec4<i32>(bitcast<i32>(v << 24u), bitcast<i32>(v << 16u), bitcast<i32>(v << 8u), bitcast<i32>(v)) >> vec4<u32>(24u)', 'vec4<i32>(bytes4(v))'],
    ['Q8_0 words read as if aligned', typeCases(GgmlType.Q8_0), 'i8x4(u32_at_even(p + 2u + 4u * j))', 'i8x4(w[(p + 2u + 4u * j) >> 2u])'],
    ['Q8_0 scale read from the wrong half', typeCases(GgmlType.Q8_0), '[(p >> 1u) & 1u]', '[0u]'],
    ['BF16 reads the low half of the word', typeCases(GgmlType.BF16), '(p & 2u) * 8u', '(p & 2u) * 0u'],
    ['F16 element index off by one', typeCases(GgmlType.F16), 'wv = f16_at(row + 2u * (i0 + j));', 'wv = f16_at(row + 2u * (i0 + j + 1u));'],
    ['F32 ignores the weight offset', typeCases(GgmlType.F32), 'let row = params.w_offset + o * params.row_bytes;', 'let row = o * params.row_bytes;'],
    ['rows after the first of a workgroup not reduced', typeCases(GgmlType.Q8_0), 'if (j < stride)', 'if (lid < stride)'],
    ['subgroups: only a row\'s first group of lanes summed', matmulCases(11, 1).filter(subgroupCase), 'for (var i = 0u; i < TPR / lanes; i++) {', 'for (var i = 0u; i < 1u; i++) {'],
    ['prefill groups write every token to the first', typeCases(GgmlType.Q8_0), 'y[out_index(t0 + tt, o + r * rows)] = out_value(o + r * rows, partial', 'y[out_index(t0, o + r * rows)] = out_value(o + r * rows, partial'],
    ['bias not added', matmulCases(11, 1).filter((c) => c.biasAt !== undefined), 'return v + bias[params.bias_at + o];', 'return v + 0.0 * bias[params.bias_at + o];'],
    ['bias of a part read from its element 0', matmulCases(11, 1).filter((c) => c.biasAt), 'return v + bias[params.bias_at + o];', 'return v + bias[o];'],
    ['prefill groups read the first token\'s x for all', typeCases(GgmlType.Q8_0), 'let xe = xb + tt * params.k + blk * 32u;', 'let xe = xb + blk * 32u;'],
    ['partial sums not reduced', typeCases(GgmlType.F32), 'stride > 0u', 'stride > 1u'],
    ['Q4_1 min ignored', typeCases(GgmlType.Q4_1), 'select(f16_at(p + 2u), -16.0 * d', 'select(0.0, -16.0 * d'],
    ['Q5_0 fifth bit of element j + 16 taken from bit j', typeCases(GgmlType.Q5_0), '(vec4<u32>(qh) >> (bit + vec4<u32>(16u)))', '(vec4<u32>(qh) >> bit)'],
    ['Q5_1 fifth bits read where Q5_0 keeps them', typeCases(GgmlType.Q5_1), 'size = 24u; qh_at = 4u;', 'size = 24u; qh_at = 2u;'],
    ['K-quant scales 4..7 from the wrong nibble', typeCases(GgmlType.Q4_K), '(lo & 15u)', '(lo >> 4u)'],
    ['Q4_K min not subtracted', typeCases(GgmlType.Q4_K), 'let offset = f16_at(p + 2u) * sm.y;', 'let offset = 0.0;'],
    ['Q5_K fifth bit ignored', typeCases(GgmlType.Q5_K), 'q |= ((bytes4(w[((p + 16u) >> 2u) + l]) >> vec4<u32>(sb)) & vec4<u32>(1u)) << vec4<u32>(4u);', 'q |= vec4<u32>(0u);'],
    ['Q6_K high bits from the wrong pair', typeCases(GgmlType.Q6_K), '(bytes4(u32_at_even(q.qh + 4u * l)) >> vec4<u32>(q.hsh))', '(bytes4(u32_at_even(q.qh + 4u * l)) >> vec4<u32>(q.lsh / 2u))'],
    ['repacked Q8_0: the second 16-byte word of a block skipped', typeCases(Q8_0_R), 'let b = w4[q + 1u];', 'let b = w4[q];'],
    ['repacked rows: blocks read right after the scales, unpadded', typeCases(Q8_0_R), 'return ((k / 32u) * 2u + 15u) & ~15u;', 'return (k / 32u) * 2u;'],
    ['repacked Q4_0 nibbles swapped', typeCases(Q4_0_R), 'wv[j] = d * vec4<f32>(nib & vec4<u32>(15u)) - 8.0 * d;', 'wv[j] = d * vec4<f32>(nib >> vec4<u32>(4u)) - 8.0 * d;'],
    ['Q6_K one scale for 32 elements', typeCases(GgmlType.Q6_K), 'let s1 = q.d * i8_at(q.sc + 1u);', 'let s1 = q.d * i8_at(q.sc);'],
    ['repacked Q6_K: each super-block\'s ql and qh taken as 210 bytes apart', typeCases(Q6_K_R), 'let ql = sc + 16u * nsb + 192u * sb;', 'let ql = sc + 16u * nsb + 210u * sb;'],
    ['repacked Q6_K: scales read from the file\'s place', typeCases(Q6_K_R), 'return Q6Super(ql, ql + 128u, sc + 16u * sb, f16_at(row + 2u * sb));', 'return Q6Super(ql, ql + 128u, ql + 192u, f16_at(row + 2u * sb));'],
  ],
});
