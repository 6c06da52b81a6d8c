/** `tabserve check`'s report and exit code from constructed results (no GPU), and its bad arguments. */
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { GpuInfo } from '../gpu/device.ts';
import type { CaseResult } from '../kernels/check.ts';
import { adapterLines, checkExitCode, formatErr, kernelLines, summaryLine, uncapturedLines } from './check_report.ts';
import { main } from './main.ts';

const pass = (name: string, maxAbsErr = 1e-6): CaseResult => ({ name, ok: true, mismatches: 0, maxAbsErr, worstIndex: 3 });
const mismatch: CaseResult = { name: 'Q8_0 m=1 k=64 n=8 offset=0', ok: false, mismatches: 3, maxAbsErr: 0.5, worstIndex: 17 };
const gpuError: CaseResult = { name: 'n=32', ok: false, mismatches: 0, maxAbsErr: 0, worstIndex: -1, gpuError: 'Invalid ShaderModule "rms_norm"' };
const bits: CaseResult = { name: 'words=100 groups=1', ok: false, mismatches: 2, maxAbsErr: Infinity, worstIndex: 0 };

describe('tabserve check: exit code', () => {
  test('0 only when every case of every kernel passes and no GPU error came outside the cases', () => {
    expect(checkExitCode({ rms_norm: [pass('a'), pass('b')], matmul: [pass('c')] })).toBe(0);
    expect(checkExitCode({ rms_norm: [pass('a')], matmul: [pass('c'), mismatch] })).toBe(1);
    expect(checkExitCode({ rms_norm: [gpuError] })).toBe(1); // a GPU error fails the case even with no mismatch
    expect(checkExitCode({ rms_norm: [pass('a')] }, ['shader failed to compile'])).toBe(1);
    expect(checkExitCode({ rms_norm: [] })).toBe(1); // a kernel with no case checked nothing
    expect(checkExitCode({})).toBe(1);
  });
});

describe('tabserve check: text report', () => {
  test('a passing kernel: one line with passed/total, ok, the worst error and the time', () => {
    expect(kernelLines('rope', [pass('a', 2e-6), pass('b', 7.6e-6)], 10, 1234)).toEqual(['rope            2/2  ok    max abs err 7.6e-6   1.2 s']);
  });

  test('a failing kernel: FAIL, then a FAIL line per failing case with its name, mismatches and error', () => {
    const lines = kernelLines('matmul', [pass('a'), mismatch, bits], 8);
    expect(lines[0]).toMatch(/^matmul\s+1\/3  FAIL  max abs err inf/);
    expect(lines.slice(1)).toEqual([
      '    FAIL Q8_0 m=1 k=64 n=8 offset=0: 3 mismatches, worst at element 17, max abs err 5.0e-1',
      '    FAIL words=100 groups=1: 2 mismatches, worst at element 0, max abs err inf',
    ]);
    expect(kernelLines('rms_norm', [gpuError], 8)[1]).toBe('    FAIL n=32: no mismatch; GPU error: Invalid ShaderModule "rms_norm"');
  });

  test('many failing cases: the first few listed, the rest counted', () => {
    const lines = kernelLines('add', Array.from({ length: 20 }, () => mismatch), 3);
    expect(lines.filter((l) => l.startsWith('    FAIL'))).toHaveLength(8);
    expect(lines.at(-1)).toBe('    ... and 12 more failing cases');
  });

  test('the summary names the failing kernels and counts their cases', () => {
    expect(summaryLine({ rms_norm: [pass('a')], matmul: [pass('b')] }, [], 41_500)).toBe('ok: all 2 cases of 2 kernels match their CPU twins in 41.5 s');
    expect(summaryLine({ rms_norm: [pass('a'), gpuError], matmul: [mismatch], rope: [pass('c')] })).toBe('FAIL: 2 of 4 cases in 2 of 3 kernels (rms_norm, matmul)');
    expect(summaryLine({ rms_norm: [pass('a')] }, ['x', 'x'])).toBe('FAIL: 0 of 1 cases in 0 of 1 kernels (none), 2 GPU errors outside the cases');
    expect(uncapturedLines(['x', 'y', 'x'])).toEqual(['GPU error outside the cases: x', 'GPU error outside the cases: y']);
  });

  test('numbers and the adapter', () => {
    expect([0, 1.234e-7, 0.5, Infinity, NaN].map(formatErr)).toEqual(['0', '1.2e-7', '5.0e-1', 'inf', 'inf']);
    const info: GpuInfo = {
      vendor: 'mesa', architecture: '', description: 'llvmpipe', isFallbackAdapter: true, pollsToWait: true, f16: true, subgroups: true, subgroupLanes: 0,
      int8Dot: false, maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 32, maxComputeInvocationsPerWorkgroup: 1024,
    };
    expect(adapterLines(info)).toEqual([
      'adapter: mesa, llvmpipe (fallback adapter)',
      'features: shader-f16 yes, subgroups yes (laid out otherwise than the kernels assume: unused), int8 dot no',
      'limits: storage binding 128 MiB, buffer 4096 MiB, 1024 invocations per workgroup',
    ]);
  });
});

describe('tabserve check: bad arguments', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  test.each([[['--bogus'], /Unknown option '--bogus'/], [['extra'], /Unexpected argument 'extra'/]])('%j: one line, exit 2, before the GPU is opened', async (args, message) => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['check', ...args])).toBe(2);
    expect(err).toHaveBeenCalledTimes(1);
    expect(String(err.mock.calls[0][0])).toMatch(message);
  });
});
