import { kernelSuite } from './suite.ts';
import { checkQuantizeQ8, quantizeQ8Cases } from './quantize_q8.check.ts';
import { QUANTIZE_Q8_CODE } from './quantize_q8.ts';

const cases = quantizeQ8Cases(29);
const ties = cases.filter((c) => c.special);
kernelSuite('quantize_q8', {
  code: QUANTIZE_Q8_CODE,
  cases,
  seed: 29,
  check: checkQuantizeQ8,
  mutations: [
    ['d from the first four elements only', cases, 'amax = max(amax, abs(v[j]));', 'amax = max(amax, abs(v[0]));'],
    ['rounded toward zero', cases, 'round(v[j] * id)', 'trunc(v[j] * id)'],
    ['halfway cases rounded away from zero', ties, 'round(v[j] * id)', 'sign(v[j]) * floor(abs(v[j] * id) + 0.5)'],
    ['bytes packed highest first', cases, 'pack_i8x4(q)', 'pack_i8x4(q.wzyx)'],
    ['sum leaves out a lane', cases, 'f32(sum.x + sum.y + sum.z + sum.w)', 'f32(sum.x + sum.y + sum.z)'],
    ['blocks past the first workgroup read the first', cases.filter((c) => c.blocks > 64), 'let b = (wg.x + wg.y * nwg.x) * WG + lid;', 'let b = lid;'],
  ],
});
