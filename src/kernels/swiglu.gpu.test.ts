import { kernelSuite } from './suite.ts';
import SWIGLU_WGSL from '../../shaders/swiglu.wgsl?raw';
import { checkSwiglu, swigluCases, type SwigluCase } from './swiglu.check.ts';

const small = swigluCases(3, 2).filter((c) => c.count < 1e6);
const spill = swigluCases(3, 0).filter((c) => c.count > 1e6);
kernelSuite('swiglu', {
  code: SWIGLU_WGSL,
  cases: swigluCases(3),
  seed: 3,
  check: checkSwiglu,
  mutations: [
    ['sigmoid overflows for large gates', small, 'let sigmoid = select(e, 1.0, a >= 0.0) / (1.0 + e);', 'let sigmoid = exp(a) / (1.0 + exp(a));'],
    ['sigmoid branches swapped', small, 'select(e, 1.0, a >= 0.0)', 'select(1.0, e, a >= 0.0)'],
    ['gelu without the cubic term', small.filter((c) => c.act === 'gelu'), 'a = GELU_K * (c + GELU_C * c * c * c);', 'a = GELU_K * c;'],
    ['gelu taken as silu', small.filter((c) => c.act === 'gelu'), 'if (ACT == 1u) {', 'if (false) {'],
    ['up added instead of multiplied', small, 'v * sigmoid * u[i]', 'v * sigmoid + u[i]'],
    ['in place reads the unused gate binding', small.filter((c) => c.inPlace), 'v = y[i];', 'v = g[i];'],
    ['spilled workgroups recompute the wrong index', spill, 'let i = (wg.x + wg.y * nwg.x) * WG + lid;', 'let i = wg.x * WG + lid;'],
  ],
});
