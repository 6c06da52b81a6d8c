import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../testing/cli.ts';
import { tempDir } from '../testing/paths.ts';

describe('tabserve make-test-model: bad arguments get one line and exit code 2', () => {
  const out = join(tempDir(), 'x.gguf');
  test.each([
    ['unknown arch', ['--arch', 'gpt9', '--out', out], /unknown arch 'gpt9'/],
    ['heads not dividing embd', ['--embd', '100', '--heads', '3', '--out', out], /--heads 3 does not divide --embd 100/],
    ['kv-heads not dividing heads', ['--heads', '4', '--kv-heads', '3', '--out', out], /--kv-heads 3 does not divide --heads 4/],
    ['missing vocab file', ['--vocab-from', '/nonexistent/vocab.gguf', '--out', out], /vocab file not found: \/nonexistent\/vocab.gguf/],
    ['unknown type', ['--type', 'q9', '--out', out], /unknown type 'q9'/],
    ['non-numeric size', ['--embd', 'big', '--out', out], /--embd must be a non-negative integer/],
    ['quantized type with a misaligned width', ['--type', 'q4_0', '--embd', '48', '--heads', '2', '--out', out], /multiples of 32/],
    ['unknown option', ['--frobnicate', '--out', out], /Unknown option '--frobnicate'/],
    ['no --out', [], /--out FILE.gguf is required/],
  ])('%s', (_name, args, message) => {
    const r = runCli(['make-test-model', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line, no stack trace
    expect(existsSync(out)).toBe(false);
  });

  test('unknown command', () => {
    const r = runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("tabserve: unknown command 'frobnicate' (try 'tabserve help')");
  });
});

test('make-test-model is deterministic for a seed and differs across seeds', () => {
  const dir = tempDir();
  const run = (name: string, seed: string) => {
    const r = runCli(['make-test-model', '--embd', '64', '--heads', '2', '--kv-heads', '1', '--ff', '128', '--seed', seed, '--out', join(dir, name)]);
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(join(dir, name));
  };
  const a = run('a.gguf', '5');
  expect(a.equals(run('b.gguf', '5'))).toBe(true);
  expect(a.equals(run('c.gguf', '6'))).toBe(false);
});

describe('tabserve bench: bad arguments get one line and exit code 2, before any GPU work', () => {
  test.each([
    ['unknown shape', ['--shape', 'gpt5'], /--shape: unknown gpt5 \(known: smollm2-135m, qwen2.5-0.5b, qwen3-0.6b, llama3.2-1b, or all\)/],
    ['unknown type', ['--type', 'q9'], /--type: unknown q9/],
    ['only unsupported pairs', ['--shape', 'qwen2.5-0.5b', '--type', 'q4_k'], /no model to bench/],
    ['one generated token', ['--max-tokens', '1'], /--max-tokens must be at least 2/],
    ['unknown peer', ['--peer', 'ollama'], /--peer must be llama.cpp or none/],
    ['bad stream counts', ['--streams', '1,x'], /--streams must be positive integers/],
    ['unknown browser peer', ['--browser', '--browser-peers', 'cpu,cuda'], /--browser-peers: unknown cuda \(known: cpu, webgpu, or all\)/],
    ['lanes not a power of two', ['--lanes', '16,24,128'], /--lanes must be powers of two from 1 to 64, got 24, 128/],
    ['prefill rows past 4', ['--prefill-rows', '2,5'], /--prefill-rows must be integers from 1 to 4, got 5/],
    ['negative temperature', ['--temperature=-1'], /--temperature must be a number >= 0, got '-1'/],
    ['top_p of 0', ['--temperature', '1', '--top-p', '0'], /--top-p must be a number in \(0, 1\], got '0'/],
    ['fractional top_k', ['--temperature', '1', '--top-k', '1.5'], /--top-k must be an integer >= 0/],
    ['top_p without a temperature', ['--top-p', '0.9'], /--top-p and --top-k need a --temperature above 0/],
    ['sampling in the browser bench', ['--temperature', '1', '--browser'], /--browser runs greedy only/],
  ])('%s', (_name, args, message) => {
    const r = runCli(['bench', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('bench: skipping'))).toHaveLength(1);
  });
});
