import { kernelSuite } from './suite.ts';
import { GgmlType } from '../gguf/ggml.ts';
import { checkMatmul, matmulCases } from './matmul.check.ts';
import { MATMUL_CODE } from './matmul.ts';

const typeCases = (t: GgmlType) => matmulCases(11, 1).filter((c) => c.type === t);
kernelSuite('matmul', {
  code: MATMUL_CODE,
  cases: matmulCases(11),
  seed: 11,
  check: checkMatmul,
  mutations: [
    ['Q4_0 nibbles swapped', typeCases(GgmlType.Q4_0), '(f32(q & 15u) - 8.0) * x[xb + i0 + j] + (f32(q >> 4u) - 8.0)', '(f32(q >> 4u) - 8.0) * x[xb + i0 + j] + (f32(q & 15u) - 8.0)'],
    ['Q8_0 not sign-extended', typeCases(GgmlType.Q8_0), 'bitcast<i32>(byte_at(p) << 24u) >> 24u', 'i32(byte_at(p))'],
    ['Q8_0 scale read from the wrong half', typeCases(GgmlType.Q8_0), '[(p >> 1u) & 1u]', '[0u]'],
    ['BF16 reads the low half of the word', typeCases(GgmlType.BF16), '(p & 2u) * 8u', '(p & 2u) * 0u'],
    ['F16 element index off by one', typeCases(GgmlType.F16), 's += f16_at(row + 2u * (i0 + j))', 's += f16_at(row + 2u * (i0 + j + 1u))'],
    ['F32 ignores the weight offset', typeCases(GgmlType.F32), 'let row = params.w_offset + o * params.row_bytes;', 'let row = o * params.row_bytes;'],
    ['rows after the first of a workgroup not reduced', typeCases(GgmlType.Q8_0), 'if (j < stride)', 'if (lid < stride)'],
    ['partial sums not reduced', typeCases(GgmlType.F32), 'stride > 0u', 'stride > 1u'],
    ['Q4_1 min ignored', typeCases(GgmlType.Q4_1), 'select(f16_at(p + 2u), -16.0 * d', 'select(0.0, -16.0 * d'],
    ['Q5_0 fifth bit of element j + 16 taken from bit j', typeCases(GgmlType.Q5_0), '(qh >> (j + 16u))', '(qh >> j)'],
    ['Q5_1 fifth bits read where Q5_0 keeps them', typeCases(GgmlType.Q5_1), 'size = 24u; qh_at = 4u;', 'size = 24u; qh_at = 2u;'],
    ['K-quant scales 4..7 from the wrong nibble', typeCases(GgmlType.Q4_K), '(lo & 15u)', '(lo >> 4u)'],
    ['Q4_K min not subtracted', typeCases(GgmlType.Q4_K), 'f16_at(p + 2u) * sm.y * sx', '0.0 * sx'],
    ['Q5_K fifth bit ignored', typeCases(GgmlType.Q5_K), 'q |= ((byte_at(p + 16u + l) >> sb) & 1u) << 4u;', 'q |= 0u;'],
    ['Q6_K high bits from the wrong pair', typeCases(GgmlType.Q6_K), '(byte_at(qh + l) >> (2u * c))', '(byte_at(qh + l) >> (2u * (c / 2u)))'],
    ['Q6_K one scale for 32 elements', typeCases(GgmlType.Q6_K), 'i8_at(sc + 1u) * s1', 'i8_at(sc) * s1'],
  ],
});
