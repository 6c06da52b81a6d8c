import { kernelSuite } from './suite.ts';
import SOFTCAP_WGSL from '../../shaders/softcap.wgsl?raw';
import { checkSoftcap, softcapCases } from './softcap.check.ts';

const small = softcapCases(11, 2).filter((c) => c.count < 1e6);
const spill = softcapCases(11, 0).filter((c) => c.count > 1e6);
kernelSuite('softcap', {
  code: SOFTCAP_WGSL,
  cases: softcapCases(11),
  seed: 11,
  check: checkSoftcap,
  mutations: [
    ['sign lost', small, 'select(-t, t, x >= 0.0)', 't'],
    ['not divided by the cap first', small, 'let x = y[i] / params.cap;', 'let x = y[i];'],
    ['tanh through exp(2x), which overflows', small, 'let e = exp(-2.0 * abs(x));\n  let t = (1.0 - e) / (1.0 + e);', 'let e = exp(2.0 * abs(x));\n  let t = (e - 1.0) / (e + 1.0);'],
    ['spilled workgroups recompute the wrong index', spill, 'let i = (wg.x + wg.y * nwg.x) * WG + lid;', 'let i = wg.x * WG + lid;'],
  ],
});
