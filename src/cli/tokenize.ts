/**
 * `tabserve tokenize` / `tabserve detokenize`: the model's own tokenizer over stdin, one item per line.
 *   tokenize:   each line is a JSON string; prints a JSON array of token ids (no BOS/EOS added)
 *   detokenize: each line is a JSON array of ids; prints the decoded JSON string
 * Special-token texts are parsed as special tokens only with --special.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openGgufFile } from '../gguf/node_file.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { UsageError } from './usage.ts';

async function load(argv: string[]): Promise<{ tok: Tokenizer; special: boolean }> {
  const { values } = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' }, special: { type: 'boolean', default: false } } });
  if (!values.model) throw new UsageError('--model FILE.gguf is required');
  const file = await openGgufFile(values.model);
  return { tok: tokenizerFromGguf(file.metadata), special: values.special };
}

/** Runs `fn` on each stdin line; a bad line prints an error for that line ({"error": ...}) and goes on. Exit code 1 after any. */
async function eachLine(fn: (line: string, n: number) => string): Promise<number> {
  let n = 0;
  let code = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    try {
      console.log(fn(line, n));
    } catch (e) {
      console.log(JSON.stringify({ error: `line ${n}: ${(e as Error).message}` }));
      code = 1;
    }
  }
  return code;
}

export async function tokenize(argv: string[]): Promise<number> {
  const { tok, special } = await load(argv);
  return eachLine((line) => {
    const text: unknown = JSON.parse(line);
    if (typeof text !== 'string') throw new Error('expected a JSON string');
    return JSON.stringify(tok.encode(text, { special, addSpecial: false }));
  });
}

export async function detokenize(argv: string[]): Promise<number> {
  const { tok } = await load(argv);
  return eachLine((line) => {
    const ids: unknown = JSON.parse(line);
    if (!Array.isArray(ids) || !ids.every((i) => Number.isInteger(i) && i >= 0 && i < tok.nVocab)) throw new Error(`expected a JSON array of token ids in 0..${tok.nVocab - 1}`);
    return JSON.stringify(tok.decode(ids as number[]));
  });
}
