/**
 * `tabserve bench` end to end on a small generated model: the real CLI against llama.cpp on the same file,
 * with the step profile. The greedy tokens must agree with llama.cpp's (test models are peaked enough that
 * greedy choices are not near-ties), and the profile must account for the decode step's dispatches.
 */
import { describe, expect, test } from 'vitest';
import type { BenchReport } from '../bench/report.ts';
import { runCli } from '../testing/cli.ts';
import { makeModel } from '../testing/models.ts';

const model = () => makeModel({ name: 'cli bench llama q8_0', args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256', '--layers', '3'], vocab: 'llama-bpe' });

describe('tabserve bench', () => {
  test('--profile --lanes 4 --prefill-rows 2 --decode-rows 1 --json: our figures, llama.cpp\'s on the same tokens, a decode step per dispatch; other layouts, the same tokens', () => {
    const r = runCli(['bench', '--model', model(), '--prompt-tokens', '12', '--max-tokens', '6', '--profile', '--lanes', '4', '--prefill-rows', '2', '--decode-rows', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    const [m, four, two, one] = report.models;
    expect(four.model).toMatch(/, 4 lanes$/);
    expect(four.ours.tokens).toEqual(m.ours.tokens);
    expect(four.peer).toBeUndefined();
    expect(two.model).toMatch(/, 2 prefill rows$/);
    expect(two.ours.tokens).toEqual(m.ours.tokens);
    expect(one.model).toMatch(/, 1 decode rows$/);
    expect(one.ours.tokens).toEqual(m.ours.tokens);
    expect(m.ours.decodeTokensPerSecond).toBeGreaterThan(0);
    expect(m.ours.tokens).toHaveLength(6);
    expect(m.peer?.tokens, m.peerError).toEqual(m.ours.tokens); // the same greedy tokens as llama.cpp
    const p = m.ours.profile!;
    expect(p, m.ours.profileError).toBeDefined();
    expect(p.stepNs).toBeGreaterThan(0);
    const kernels = new Set(p.dispatches.map((d) => d.label.split('|')[0]));
    for (const k of ['embedding', 'rms_norm', 'attention_split', 'swiglu', 'topk']) expect(kernels).toContain(k);
    expect(kernels.has('matmul') || kernels.has('matmul_q8')).toBe(true);
    expect(p.dispatches.filter((d) => d.label.startsWith('rms_norm|'))).toHaveLength(2 * 3 + 1); // two a layer and the final norm
    expect(p.dispatches.every((d) => d.ns >= 0)).toBe(true);
    expect(p.dispatches.reduce((t, d) => t + d.ns, 0)).toBeGreaterThan(0);
    // the prompt's last prefill chunk (the whole 12-token prompt): the same kernels, its matmuls over 12 tokens
    const pp = m.ours.prefillProfile!;
    expect([pp.tokens, pp.firstPos]).toEqual([12, 0]);
    expect(pp.stepNs).toBeGreaterThan(0);
    expect(pp.dispatches.filter((d) => d.label.startsWith('rms_norm|'))).toHaveLength(2 * 3 + 1);
    expect(pp.dispatches.some((d) => /^matmul(_q8)?\|.*TT=8/.test(d.label))).toBe(true); // decode's are TT=1
    expect(pp.dispatches.some((d) => d.label.startsWith('attention|') || d.label.startsWith('attention_split|'))).toBe(true);
  });
});
