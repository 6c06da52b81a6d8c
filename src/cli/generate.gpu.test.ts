/**
 * `tabserve generate` end to end: the real CLI (bin/tabserve.js, which re-runs itself with the GPU
 * environment) on a generated model, its --json output against the engine in this process, and one-line
 * errors for bad arguments and bad files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Engine } from '../engine/engine.ts';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { runCli } from '../testing/cli.ts';
import { argmax, makeModel } from '../testing/models.ts';
import { tempDir } from '../testing/paths.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

const model = () => makeModel({ name: 'cli generate llama', args: ['--arch', 'llama', '--type', 'q4_0', '--embd', '128', '--heads', '4', '--kv-heads', '1', '--ff', '256'] });

describe('tabserve generate', () => {
  test('--json prints the greedy tokens the engine gives, the decoded text and timings', async () => {
    const prompt = [1, 50, 60, 70, 80];
    const r = runCli(['generate', '--model', model(), '--prompt-ids', prompt.join(','), '--max-tokens', '12', '--ignore-eos', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tokens).toHaveLength(12);
    expect(out.finish_reason).toBe('length');
    expect(typeof out.text).toBe('string');
    expect(out.timings.prompt_tokens).toBe(5);
    expect(out.timings.decode_tokens_per_s).toBeGreaterThan(0);

    const engine = await Engine.load(gpu, await fileSource(model()));
    const seq = engine.createSequence();
    const want: number[] = [];
    let logits = await engine.prefill(seq, prompt);
    while (want.length < 12) {
      want.push(argmax(logits));
      logits = await engine.decode(seq, want[want.length - 1]);
    }
    engine.unload();
    expect(out.tokens).toEqual(want);

    const plain = runCli(['generate', '--model', model(), '--prompt-ids', prompt.join(','), '--max-tokens', '12', '--ignore-eos']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toBe(`${out.text}\n`);
  });

  test('--prompt text, --chat and --stop on a model with the qwen2 vocabulary and its chat template', () => {
    const m = makeModel({ name: 'cli generate qwen2 vocab', vocab: 'qwen2', args: ['--arch', 'qwen2', '--embd', '64', '--heads', '2', '--kv-heads', '1', '--ff', '128', '--type', 'q8_0'] });
    const plain = runCli(['generate', '--model', m, '--prompt', 'Hello there', '--max-tokens', '16', '--ignore-eos', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    const a = JSON.parse(plain.stdout);
    expect(a.timings.prompt_tokens).toBe(2); // "Hello", " there"
    const chat = runCli(['generate', '--model', m, '--prompt', 'Hello there', '--chat', '--max-tokens', '4', '--ignore-eos', '--json']);
    expect(chat.code, chat.stderr).toBe(0);
    expect(JSON.parse(chat.stdout).timings.prompt_tokens).toBeGreaterThan(8); // system turn + user turn + assistant header
    const cut = a.text.slice(3, 6);
    const stopped = runCli(['generate', '--model', m, '--prompt', 'Hello there', '--max-tokens', '16', '--ignore-eos', '--stop', cut, '--json']);
    const b = JSON.parse(stopped.stdout);
    expect(b.text).toBe(a.text.slice(0, a.text.indexOf(cut)));
    expect(b.finish_reason).toBe('stop');
    const sampled = ['1', '1', '2'].map((seed) => JSON.parse(runCli(['generate', '--model', m, '--prompt', 'Hi', '--temperature', '1', '--seed', seed, '--max-tokens', '12', '--ignore-eos', '--json']).stdout).tokens);
    expect(sampled[1]).toEqual(sampled[0]);
    expect(sampled[2]).not.toEqual(sampled[0]);
    const badTopP = runCli(['generate', '--model', m, '--prompt', 'Hi', '--top-p', '2']);
    expect(badTopP.code).toBe(2);
    expect(badTopP.stderr).toMatch(/--top-p: /);
  });

  test.each([
    [['--prompt-ids', '1,2'], /--model FILE\.gguf is required/],
    [['--model', 'x.gguf'], /give the prompt as --prompt TEXT or --prompt-ids 1,2,3/],
    [['--model', 'x.gguf', '--prompt-ids', '1', '--chat'], /--chat needs --prompt TEXT/],
    [['--model', 'x.gguf', '--prompt-ids', '1', '--temperature', 'hot'], /--temperature must be a number/],
    [['--model', 'x.gguf', '--prompt-ids', '1,a'], /--prompt-ids must be comma-separated token ids/],
    [['--model', 'x.gguf', '--prompt-ids', '1', '--max-tokens', '0'], /--max-tokens must be a positive integer/],
    [['--model', 'x.gguf', '--prompt-ids', '1', '--bogus'], /Unknown option '--bogus'/],
  ])('bad arguments %j: one line, exit 2', (args, message) => {
    const r = runCli(['generate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a missing file, a file that is not GGUF and an out-of-vocabulary id: one line naming the problem, exit 1', () => {
    const dir = tempDir();
    const junk = join(dir, 'junk.gguf');
    writeFileSync(junk, 'this is not a model');
    const cases: [string[], RegExp][] = [
      [['--model', join(dir, 'none.gguf'), '--prompt-ids', '1'], /none\.gguf: cannot open \(ENOENT\)/],
      [['--model', junk, '--prompt-ids', '1'], /junk\.gguf: not a readable GGUF file/],
      [['--model', model(), '--prompt-ids', '1,999999'], /token id 999999 is outside the vocabulary/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['generate', ...args]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
