import { kernelSuite } from './suite.ts';
import TOPK_WGSL from '../../shaders/topk.wgsl?raw';
import { checkTopk, topkCases, type TopkCase } from './topk.check.ts';

// Each mutation is a plausible kernel bug; the same check must report mismatches for it.
const fixed = topkCases(11, 0);
const pick = (...vs: number[]): TopkCase[] => fixed.filter((c) => vs.includes(c.V));
kernelSuite('topk', {
  code: TOPK_WGSL,
  cases: topkCases(11),
  seed: 11,
  check: checkTopk,
  mutations: [
    ['ties go to the higher id', pick(41, 1000), '(ka == kb && ia < ib)', '(ka == kb && ia > ib)'],
    ['penalty multiplies positive logits', pick(40, 1000), 'select(l * a.r, l / a.r, l > 0.0)', 'select(l / a.r, l * a.r, l > 0.0)'],
    ['merge drops the last partial sums', pick(5000, 32000), 's < params.n_slices; s += WG', 's + 1u < params.n_slices; s += WG'],
    ['sums without the max subtraction', pick(3000, 128256), 'let m = max(a.x, b.x);', 'let m = 0.0;'],
    ['last logit of each slice skipped', pick(1000, 32000), 'let end = min(start + params.slice, params.v);', 'let end = min(start + params.slice, params.v) - 1u;'],
    ['sort network misses its last step', pick(7, 1000), 'stride > 0u; stride >>= 1u', 'stride > 1u; stride >>= 1u'],
    ['k = 1: the best not reduced across the workgroup', pick(5001, 3001), 'if (before(b.x, b.y, a.x, a.y)) {', 'if (false) {'],
    ['k = 1: an invocation keeps the first item it sees', pick(5001, 3001), 'if (before(key, id, bk, bi)) {', 'if (bk == EMPTY_KEY) {'],
    ['k = 1: the merge reads a slice\'s id one word off', pick(5001, 3001), 'bi = partial[p + 4u + params.k];', 'bi = partial[p + 5u + params.k];'],
  ],
});
