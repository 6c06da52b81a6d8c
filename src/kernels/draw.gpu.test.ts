import { kernelSuite } from './suite.ts';
import DRAW_WGSL from '../../shaders/draw.wgsl?raw';
import { checkDraw, drawCases } from './draw.check.ts';

const cases = drawCases(31);
const nucleus = cases.filter((c) => c.topP < 1 && c.V > 100);
const entries = cases.filter((c) => c.topP < 1 && c.k >= 64 && c.std >= 3);
const bisect = cases.filter((c) => c.topP < 1 && c.std <= 1 && c.V >= 1000);
const ties = cases.filter((c) => c.grid !== undefined && c.topP < 1);
const minP = cases.filter((c) => c.minP > 0);
const all = cases.filter((c) => c.V > 100);
const skipped = cases.filter((c) => (c.skip ?? 0) > 0);
kernelSuite('draw', {
  code: DRAW_WGSL,
  cases,
  seed: 29,
  check: checkDraw,
  mutations: [
    ['the temperature ignored', all, 'return exp(max((l - r.m) * r.t, -200.0));', 'return exp(max(l - r.m, -200.0));'],
    ['u ignored', all, 'let id = locate(r, 0u, d.u, lid);', 'let id = locate(r, 0u, 0.5, lid);'],
    ['top_p ignored', nucleus, 'if (z.y >= goal) {', 'if (false) {'],
    ['min_p ignored', minP, 'return e > 0.0 && e >= r.min_p;', 'return e > 0.0;'],
    ['the nucleus one entry short', entries, 'if (acc >= goal) {\n        found = 1u;', 'if (acc >= goal && j > 0u) {\n        found = 1u;\n        kappa = order_key(bitcast<f32>(out[o + j - 1u]));\n        last = out[o + k + j - 1u];'],
    ['the bisection settles a step low', bisect, 'r.kappa = lo;', 'r.kappa = lo - 1u;'],
    ['every tie at the boundary taken', ties, 'if (need < tied) {', 'if (false) {'],
    ['the run found by its start, not its end', all, 'if (base + part[lid] > goal) {', 'if (base + part[lid] - x > goal) {'],
    ['the pieces cut from the row\'s start, not the run\'s', all, 'let p0 = min(run * span + lid * piece, run_end);', 'let p0 = min(lid * piece, run_end);'],
    ['a skipped row drawn too', skipped, 'if (d.on == 0u) {', 'if (false) {'],
    ['the drawn id\'s logit read from the row\'s start', all, 'out[word - 1u] = bitcast<u32>(logits[r.at + id]);', 'out[word - 1u] = bitcast<u32>(logits[r.at]);'],
  ],
});
