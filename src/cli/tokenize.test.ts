/** `tabserve tokenize` / `detokenize` over stdin, on a real vocabulary GGUF from llama.cpp's sources. */
import { describe, expect, test } from 'vitest';
import { openGgufFile } from '../gguf/node_file.ts';
import { runCli } from '../testing/cli.ts';
import { vocabFile } from '../testing/paths.ts';
import { tokenizerFromGguf } from '../tokenizer/tokenizer.ts';

describe('tabserve tokenize / detokenize', () => {
  const lines = ['Hello world!', '  two  spaces\tand a tab', 'emoji 🦙 and 中文', '<|im_start|>user'];

  test('one JSON array of ids per JSON string line, equal to the tokenizer; detokenize inverts it', async () => {
    const vocab = vocabFile('qwen2');
    const tok = tokenizerFromGguf((await openGgufFile(vocab)).metadata);
    const r = runCli(['tokenize', '--model', vocab], lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(r.code, r.stderr).toBe(0);
    const ids = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as number[]);
    expect(ids).toEqual(lines.map((l) => tok.encode(l)));
    expect(ids[3].length).toBeGreaterThan(1); // special-token text stays text without --special

    const special = runCli(['tokenize', '--model', vocab, '--special'], JSON.stringify(lines[3]) + '\n');
    expect(JSON.parse(special.stdout)[0]).toBe(tok.encode('<|im_start|>', { special: true })[0]);

    const back = runCli(['detokenize', '--model', vocab], ids.map((i) => JSON.stringify(i)).join('\n') + '\n');
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(lines);
  });

  test('a bad line gets an error line, the others still answer, exit code 1', () => {
    const r = runCli(['tokenize', '--model', vocabFile('llama-spm')], '"ok"\nnot json\n42\n"fine"\n');
    expect(r.code).toBe(1);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    expect(out[1].error).toMatch(/^line 2: /);
    expect(out[2].error).toMatch(/^line 3: expected a JSON string/);
    expect(Array.isArray(out[3])).toBe(true);
    const d = runCli(['detokenize', '--model', vocabFile('llama-spm')], '[1, 99999999]\n');
    expect(JSON.parse(d.stdout).error).toMatch(/expected a JSON array of token ids in 0\.\.31999/);
  });

  test('no --model: one line, exit 2', () => {
    const r = runCli(['tokenize']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('tabserve tokenize: --model FILE.gguf is required');
  });
});
