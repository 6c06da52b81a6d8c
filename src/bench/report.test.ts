import { describe, expect, test } from 'vitest';
import { markdownReport, prefillProfileSection, profileSection, sameTokens, tuningLine, type BenchReport } from './report.ts';
import { SHAPES, unsupported } from './shapes.ts';

const ours = {
  nVocab: 49152, promptTokens: 512, fileBytes: 150 * 1048576, loadSeconds: 1.5, loadMBPerSecond: 104.9, ttftMs: 2000, prefillTokensPerSecond: 256,
  decodeTokensPerSecond: 10, decodeTokens: 128, hostMsPerStep: 0.8, hostMsMedian: 0.7, aheadMsPerStep: 0.6, weightBytesPerToken: 144e6, effectiveGBPerSecond: 1.44,
  gpuPeakBytes: 200 * 1048576, weightBytes: 140 * 1048576, kvBytes: 20 * 1048576,
};
const report = (over: Partial<BenchReport> = {}): BenchReport => ({
  date: '2026-12-03T07:00:00.000Z', machine: 'cpu, 2 cores', adapter: 'mesa / llvmpipe', command: 'tabserve bench', promptTokens: 512, maxTokens: 128,
  bandwidth: { bytes: 256 << 20, sweeps: 10, seconds: 1, gbPerSecond: 2.88 }, models: [{ model: 'smollm2-135m q8_0', ours }], ...over,
});

describe('bench report', () => {
  test('one row per model with the percentage of the read bandwidth; the peer table gives ours / theirs', () => {
    const peer = { backend: 'cpu (2 threads)', loadSeconds: 1, ttftMs: 1000, prefillTokensPerSecond: 512, decodeTokensPerSecond: 20, decodeTokens: 128, tokens: [5, 6, 7, 9] };
    const md = markdownReport(report({ models: [{ model: 'smollm2-135m q8_0', ours: { ...ours, tokens: [5, 6, 7, 8] }, peer }] }));
    const row = md.split('\n').find((l) => l.startsWith('| smollm2-135m q8_0 | 150 |'))!;
    expect(row.split('|').map((c) => c.trim())).toEqual(['', 'smollm2-135m q8_0', '150', '105', '2000', '256.0', '10.00', '0.80', '0.70', '0.60', '1.44', '50', '200 (140 + 20)', '']);
    const peerRow = md.split('\n').find((l) => l.includes('cpu (2 threads)'))!;
    expect(peerRow).toContain('| 0.50 | 0.50 | 3/4 |'); // 256 / 512 and 10 / 20; the 4th token differs
    expect(md).toContain('- date: 2026-12-03T07:00:00.000Z');
    expect(md).toContain('- command: `tabserve bench`');
  });

  test('the browser table: tabserve first, each wllama backend with ours / its rates, or why it could not run', () => {
    const wl = { loadSeconds: 2, ttftMs: 500, prefillTokensPerSecond: 128, decodeTokensPerSecond: 40, decodeTokens: 128 };
    const browser = { kind: 'done' as const, adapter: 'google / swiftshader', userAgent: 'Chrome', chromium: '156', ours, peers: [{ name: 'wllama wasm cpu (2 threads)', figures: wl }, { name: 'wllama webgpu', error: 'no adapter' }] };
    const lines = markdownReport(report({ models: [{ model: 'm', ours, browser }] })).split('\n');
    expect(lines.find((l) => l.startsWith('| tabserve | webgpu |'))).toBe('| tabserve | webgpu | 1.50 | 2000 | 256.0 | 10.00 | - | - |');
    expect(lines.find((l) => l.includes('wasm cpu'))).toBe('| wllama | wasm cpu (2 threads) | 2.00 | 500 | 128.0 | 40.00 | 2.00 | 0.25 |');
    expect(lines.find((l) => l.includes('| webgpu: unavailable'))).toBe('| wllama | webgpu: unavailable: no adapter | - | - | - | - | - | - |');
    expect(lines.some((l) => l.includes('google / swiftshader'))).toBe(true);
    expect(lines.some((l) => l.includes('the same 512-token English prompt'))).toBe(true);
    expect(markdownReport(report({ models: [{ model: 'm', ours, browser: { kind: 'error', message: 'no WebGPU' } }] }))).toContain('failed: no WebGPU');
  });

  test('a sampled run says how it sampled, and compares no tokens with the peer', () => {
    const peer = { backend: 'cpu (2 threads)', loadSeconds: 1, ttftMs: 1000, prefillTokensPerSecond: 512, decodeTokensPerSecond: 20, decodeTokens: 128, tokens: [5, 6, 7, 9] };
    const md = markdownReport(report({ sampling: { temperature: 1, topP: 0.95, topK: 0 }, models: [{ model: 'm', ours: { ...ours, tokens: [5, 6, 7, 8] }, peer }] }));
    expect(md).toContain('then 128 tokens sampled at temperature 1, top_p 0.95, top_k 0 (seed 1) (EOS ignored)');
    expect(md.split('\n').find((l) => l.includes('cpu (2 threads)'))).toContain('| 0.50 | 0.50 | - |');
    expect(markdownReport(report())).toContain('then 128 greedy tokens');
  });

  test("the load's layout tuning: each candidate's µs for a step's matmuls, and the one chosen", () => {
    const layoutTuning = { chosen: { matmulLanes: 32 }, timings: [{ layout: {}, ms: 0.4123 }, { layout: { matmulLanes: 32 }, ms: 0.3501 }], repeats: 20, rounds: 3, seconds: 0.25 };
    expect(tuningLine('m', layoutTuning)).toBe('Matmul layout tuned at load for m (0.25 s of the load): 32 lanes chosen. A decode step\'s matmuls, µs (the fastest of 3 rounds of 20 a submit): default 412, 32 lanes 350.');
    expect(markdownReport(report({ models: [{ model: 'm', ours: { ...ours, layoutTuning } }] }))).toContain('\n\nMatmul layout tuned at load for m');
    expect(markdownReport(report({ models: [{ model: 'm', ours }] }))).not.toContain('tuned');
  });

  test('same tokens: the leading run that agrees, out of the shorter', () => {
    expect(sameTokens([1, 2, 3], [1, 2, 3])).toBe('3/3');
    expect(sameTokens([1, 2, 3], [1, 2])).toBe('2/2');
    expect(sameTokens([4, 2, 3], [1, 2, 3])).toBe('0/3');
    expect(sameTokens([1, 2, 3, 4], [1, 2, 5, 4])).toBe('2/4');
    expect(sameTokens(undefined, [1])).toBe('-');
  });

  test('the step profile: per kernel, most time first, and the matmuls\' weight GB/s', () => {
    const profile = {
      stepNs: 9_000_000,
      dispatches: [
        { label: 'rms_norm|WG=64', ns: 500_000 },
        { label: 'matmul_q8|TPR=64', ns: 4_000_000 },
        { label: 'matmul|TPR=64', ns: 3_200_000 },
        { label: 'matmul_q8|TPR=32', ns: 2_000_000 },
        { label: 'attention_split|X=1', ns: 300_000 },
      ],
    };
    const lines = profileSection('m', { ...ours, profile }, 28.8);
    // 144e6 bytes in 9.2 ms of matmuls: 15.65 GB/s, 54% of 28.8; 10 tokens/s: 100000 µs a token
    expect(lines[0]).toContain('9000 µs of GPU time as the one pass');
    expect(lines[0]).toContain('5 dispatches, 10000 µs');
    expect(lines[0]).toContain('100000 µs per token');
    expect(lines[0]).toContain('at 15.65 GB/s (54% of the read bandwidth)');
    expect(lines.slice(2 + 2)).toEqual(['| matmul_q8 | 2 | 6000 | 60% |', '| matmul | 1 | 3200 | 32% |', '| rms_norm | 1 | 500 | 5% |', '| attention_split | 1 | 300 | 3% |']);
    expect(profileSection('m', { ...ours, profileError: 'no timestamps' }, 1)).toEqual(['Decode step profile of m: none: no timestamps']);
    expect(markdownReport(report({ models: [{ model: 'm', ours: { ...ours, profile } }] }))).toContain('Decode step profile of m');
  });

  test('the prefill chunk profile: its tokens and positions, the one pass\'s tokens/s, per kernel', () => {
    const prefillProfile = {
      stepNs: 8_000_000,
      tokens: 64,
      firstPos: 448,
      dispatches: [
        { label: 'matmul_q8|TT=8', ns: 6_000_000 },
        { label: 'attention|X=1', ns: 1_500_000 },
        { label: 'matmul_q8|TT=8', ns: 1_000_000 },
      ],
    };
    const lines = prefillProfileSection('m', prefillProfile);
    expect(lines[0]).toContain('64 tokens at positions 448..511');
    expect(lines[0]).toContain('8000 µs of GPU time as the one pass the engine submits (8000.0 tokens/s)');
    expect(lines[0]).toContain('3 dispatches, 8500 µs');
    expect(lines.slice(4)).toEqual(['| matmul_q8 | 2 | 7000 | 82% |', '| attention | 1 | 1500 | 18% |']);
    const md = markdownReport(report({ models: [{ model: 'm', ours: { ...ours, prefillProfile } }] }));
    expect(md).toContain('Prefill chunk profile of m');
    expect(markdownReport(report({ models: [{ model: 'm', ours }] }))).not.toContain('Prefill chunk profile');
  });

  test('a peer that could not run says why; no peer, no peer table', () => {
    expect(markdownReport(report({ models: [{ model: 'm', ours, peerError: 'no binary' }] }))).toContain('unavailable: no binary');
    expect(markdownReport(report())).not.toContain('llama.cpp backend');
  });

  test('K-quants need widths that are multiples of 256', () => {
    expect(unsupported(SHAPES['llama3.2-1b'], 'q4_k')).toBeUndefined();
    expect(unsupported(SHAPES['qwen2.5-0.5b'], 'q4_k')).toMatch(/896 is not/);
    expect(unsupported(SHAPES['smollm2-135m'], 'q8_0')).toBeUndefined();
  });
});
