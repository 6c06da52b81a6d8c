import { kernelSuite } from './suite.ts';
import { checkSwiglu, swigluCases, type SwigluCase } from './swiglu.check.ts';
import { SWIGLU_CODE } from './swiglu.ts';

const small = swigluCases(3, 2).filter((c) => c.count < 1e6);
const spill = swigluCases(3, 0).filter((c) => c.count > 1e6);
const quant = small.filter((c) => c.quant);
const packed = small.filter((c) => c.packed);
kernelSuite('swiglu', {
  code: SWIGLU_CODE,
  cases: swigluCases(3),
  seed: 3,
  check: checkSwiglu,
  mutations: [
    ['sigmoid overflows for large gates', small, 'let sigmoid = select(e, 1.0, a >= 0.0) / (1.0 + e);', 'let sigmoid = exp(a) / (1.0 + exp(a));'],
    ['sigmoid branches swapped', small, 'select(e, 1.0, a >= 0.0)', 'select(1.0, e, a >= 0.0)'],
    ['gelu without the cubic term', small.filter((c) => c.act === 'gelu'), 'a = GELU_K * (c + GELU_C * c * c * c);', 'a = GELU_K * c;'],
    ['gelu taken as silu', small.filter((c) => c.act === 'gelu'), 'if (ACT == 1u) {', 'if (false) {'],
    ['up added instead of multiplied', small, 'v * sigmoid * up', 'v * sigmoid + up'],
    ['in place reads the unused gate binding', small.filter((c) => c.inPlace), 'v = y[i];', 'v = g[i];'],
    ['quantized path: y element 3 of each word not written', quant, 'y[e + 3u] = v[j].w;', 'y[e + 3u] = v[j].z;'],
    ['quantized path: elements of a word swapped', quant, 'vec4<f32>(act_mul(e), act_mul(e + 1u),', 'vec4<f32>(act_mul(e + 1u), act_mul(e),'],
    ['quantized path: blocks stored at half their place', quant, 'q8_store(32u * i, v);', 'q8_store(32u * (i / 2u), v);'],
    ['packed: up read from the gate', packed, 'up = y[params.up_at + i];', 'up = y[i];'],
    ['packed: up read from the unused binding', packed, 'if (PACKED) {\n    up', 'if (false) {\n    up'],
    ['spilled workgroups recompute the wrong index', spill, 'let i = (wg.x + wg.y * nwg.x) * WG + lid;', 'let i = wg.x * WG + lid;'],
  ],
});
