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
    ['partial sums not reduced', typeCases(GgmlType.F32), 'stride > 0u', 'stride > 1u'],
  ],
});
