import { kernelSuite } from './suite.ts';
import { checkRmsNorm, rmsNormCases } from './rms_norm.check.ts';
import { RMS_NORM_CODE } from './rms_norm.ts';

// Each mutation is a plausible kernel bug; the same check must report mismatches for it.
const few = rmsNormCases(42, 4);
const added = few.filter((c) => c.add);
const quantized = few.filter((c) => c.quant && !c.serial);
const serial = few.filter((c) => c.serial);
const serialQuantized = serial.filter((c) => c.quant);
const serialAdded = serial.filter((c) => c.add);
kernelSuite('rms_norm', {
  code: RMS_NORM_CODE,
  cases: rmsNormCases(42),
  seed: 42,
  check: checkRmsNorm,
  mutations: [
    ['weight of element 0 applied to all', few, 'x[base + i] * scale * w[i]', 'x[base + i] * scale * w[0u]'],
    ['eps ignored and mean over WG', few, 'partial[0] / f32(params.n) + params.eps', 'partial[0] / f32(WG)'],
    ['reduction misses a level', few, 'stride > 0u', 'stride > 1u'],
    ['strided loop skips elements', few, 'i < params.n; i += WG) {\n    var v', 'i < params.n; i += 2u * WG) {\n    var v'],
    ['the sum not written back to x', added, 'x[base + i] = v;', 'x[base + i] = x[base + i];'],
    ['b added from the first row for every row', added, 'v += b[base + i];', 'v += b[i];'],
    ['every other round of blocks skipped', quantized, 'blk < params.n / 32u; blk += WG', 'blk < params.n / 32u; blk += 2u * WG'],
    ['a block read one element late', quantized, 'let p = base + 32u * blk;', 'let p = base + 32u * blk + 1u;'],
    ['quantized blocks written to the first row', quantized, 'quantize_y(p);', 'quantize_y(32u * blk);'],
    ['row offset off by one', few, 'let base = row * params.n;', 'let base = row * params.n + 1u;'],
    ['serial: every invocation takes its workgroup\'s first row', serial, 'let r = (wg.x + wg.y * nwg.x) * WG + lid;', 'let r = (wg.x + wg.y * nwg.x) * WG;'],
    ['serial: squares of half the row', serial, 'for (var e = 0u; e < params.n; e++) {\n    var v', 'for (var e = 0u; e < params.n / 2u; e++) {\n    var v'],
    ['serial: mean over n + 1', serial, 'inverseSqrt(ss / f32(params.n) + params.eps)', 'inverseSqrt(ss / f32(params.n + 1u) + params.eps)'],
    ['serial: the sum not written back to x', serialAdded, 'x[base + e] = v;', 'x[base + e] = x[base + e];'],
    ['serial: every other block quantized', serialQuantized, 'at < base + params.n; at += 32u', 'at < base + params.n; at += 64u'],
    ['serial: row offset off by one', serial, 'let base = params.n * row;', 'let base = params.n * row + 1u;'],
  ],
});
