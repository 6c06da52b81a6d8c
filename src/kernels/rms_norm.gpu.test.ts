import { kernelSuite } from './suite.ts';
import RMS_NORM_WGSL from '../../shaders/rms_norm.wgsl?raw';
import { checkRmsNorm, rmsNormCases } from './rms_norm.check.ts';

// Each mutation is a plausible kernel bug; the same check must report mismatches for it.
const few = rmsNormCases(42, 4);
kernelSuite('rms_norm', {
  code: RMS_NORM_WGSL,
  cases: rmsNormCases(42),
  seed: 42,
  check: checkRmsNorm,
  mutations: [
    ['weight of element 0 applied to all', few, 'x[base + i] * scale * w[i]', 'x[base + i] * scale * w[0u]'],
    ['eps ignored and mean over WG', few, 'partial[0] / f32(params.n) + params.eps', 'partial[0] / f32(WG)'],
    ['reduction misses a level', few, 'stride > 0u', 'stride > 1u'],
    ['strided loop skips elements', few, 'i < params.n; i += WG) {\n    let v', 'i < params.n; i += 2u * WG) {\n    let v'],
    ['row offset off by one', few, 'let base = row * params.n;', 'let base = row * params.n + 1u;'],
  ],
});
