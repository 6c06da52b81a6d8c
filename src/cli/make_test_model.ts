/** `tabserve make-test-model`: writes a generated GGUF test model (see src/model/test_model.ts). */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openGgufFile } from '../gguf/node_file.ts';
import { meta, type MetaEntry } from '../gguf/writer.ts';
import { builtinVocab } from '../model/builtin_vocab.ts';
import type { Arch } from '../model/hparams.ts';
import { TEST_MODEL_DEFAULTS as D, TestModelOptionError, testModelGguf, validateTestModelOptions, type WeightTypeName } from '../model/test_model.ts';

function int(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new TestModelOptionError(`--${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

/** An optional integer option (undefined when absent). */
const optInt = (name: string, v: string | undefined) => (v === undefined ? undefined : int(name, v, 0));

/** An optional number option (undefined when absent). */
function optNum(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new TestModelOptionError(`--${name} must be a number, got '${v}'`);
  return n;
}

/** Copies the tokenizer.* keys of a GGUF (a vocab-only file or a whole model). */
export async function vocabFrom(path: string): Promise<Record<string, MetaEntry>> {
  if (!existsSync(path)) throw new TestModelOptionError(`vocab file not found: ${path}`);
  const file = await openGgufFile(path).catch((e: Error) => {
    throw new TestModelOptionError(e.message);
  });
  const vocab = Object.fromEntries(Object.entries(file.metadata).filter(([k]) => k.startsWith('tokenizer.')));
  if (!vocab['tokenizer.ggml.tokens']) throw new TestModelOptionError(`${path} has no tokenizer.ggml.tokens`);
  return vocab;
}

export async function makeTestModel(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      arch: { type: 'string', default: D.arch },
      type: { type: 'string', default: D.type },
      out: { type: 'string' },
      embd: { type: 'string' },
      layers: { type: 'string' },
      heads: { type: 'string' },
      'kv-heads': { type: 'string' },
      ff: { type: 'string' },
      ctx: { type: 'string' },
      seed: { type: 'string' },
      'tied-embeddings': { type: 'boolean', default: false },
      'rope-freqs': { type: 'boolean', default: false },
      'head-dim': { type: 'string' },
      'rope-dims': { type: 'string' },
      'rope-factors': { type: 'boolean', default: false },
      'rope-scale': { type: 'string' },
      'sliding-window': { type: 'string' },
      'swa-pattern': { type: 'string' },
      'rope-base-swa': { type: 'string' },
      'attn-softcap': { type: 'string' },
      'final-softcap': { type: 'string' },
      'vocab-from': { type: 'string' },
      'chat-template': { type: 'string' },
    },
  });
  if (!values.out) throw new TestModelOptionError('--out FILE.gguf is required');
  const opts = {
    arch: values.arch as Arch,
    type: values.type as WeightTypeName,
    embd: int('embd', values.embd, D.embd),
    layers: int('layers', values.layers, D.layers),
    heads: int('heads', values.heads, D.heads),
    kvHeads: int('kv-heads', values['kv-heads'], D.kvHeads),
    ff: int('ff', values.ff, D.ff),
    ctx: int('ctx', values.ctx, D.ctx),
    seed: int('seed', values.seed, D.seed),
    tiedEmbeddings: values['tied-embeddings'],
    ropeFreqs: values['rope-freqs'],
    headDim: optInt('head-dim', values['head-dim']),
    ropeDims: optInt('rope-dims', values['rope-dims']),
    ropeFactors: values['rope-factors'] || undefined,
    ropeScale: optNum('rope-scale', values['rope-scale']),
    slidingWindow: optInt('sliding-window', values['sliding-window']),
    swaPattern: optInt('swa-pattern', values['swa-pattern']),
    ropeBaseSwa: optNum('rope-base-swa', values['rope-base-swa']),
    attnSoftcap: optNum('attn-softcap', values['attn-softcap']),
    finalSoftcap: optNum('final-softcap', values['final-softcap']),
  };
  validateTestModelOptions(opts); // fail on shape errors before reading a large vocab file
  const vocab = values['vocab-from'] ? await vocabFrom(values['vocab-from']) : builtinVocab();
  if (values['chat-template']) vocab['tokenizer.chat_template'] = meta.str(await readFile(values['chat-template'], 'utf8'));
  const chunks = testModelGguf({ ...opts, vocab });
  await writeFile(values.out, chunks);
  const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
  console.log(`wrote ${values.out} (${opts.arch}, ${opts.type}, ${(bytes / 1048576).toFixed(1)} MiB)`);
}
