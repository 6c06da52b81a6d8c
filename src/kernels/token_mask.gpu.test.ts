import { kernelSuite } from './suite.ts';
import TOKEN_MASK_WGSL from '../../shaders/token_mask.wgsl?raw';
import { checkTokenMask, tokenMaskCases } from './token_mask.check.ts';

const cases = tokenMaskCases(17);
const small = cases.filter((c) => c.rows * c.V < 1e6);
const multiRow = small.filter((c) => c.rows > 1);
const short = small.filter((c) => 32 * c.words < c.V);
const spill = cases.filter((c) => c.rows * c.V > 1e6);
kernelSuite('token_mask', {
  code: TOKEN_MASK_WGSL,
  cases,
  seed: 17,
  check: checkTokenMask,
  mutations: [
    ['bit order reversed within a word', small, '(id & 31u)', '(31u - (id & 31u))'],
    ['every row uses row 0 of the mask', multiRow, 'mask[row * params.words + w]', 'mask[w]'],
    ['ids past the mask words kept', short, 'var allowed = false;', 'var allowed = true;'],
    ['the mask inverted', small, '& 1u) == 1u', '& 1u) == 0u'],
    ['spilled workgroups recompute the wrong index', spill, 'let i = (wg.x + wg.y * nwg.x) * WG + lid;', 'let i = wg.x * WG + lid;'],
  ],
});
