/**
 * `tabserve generate`: loads a GGUF model on WebGPU (Dawn) and continues a prompt greedily.
 * Until the tokenizer lands the prompt is given as token ids (--prompt-ids 1,2,3).
 */
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.ts';
import { openGpu } from '../gpu/device.ts';
import { nodeGpu } from '../gpu/node.ts';
import { fileSource } from '../gguf/node_source.ts';
import { piecesDecoder } from '../tokenizer/pieces.ts';
import { UsageError } from './usage.ts';

export interface GenerateResult {
  tokens: number[]; // generated ids (the prompt excluded)
  text: string;
  finish_reason: 'stop' | 'length';
  timings: { load_ms: number; prefill_ms: number; decode_ms: number; prompt_tokens: number; prefill_tokens_per_s: number; decode_tokens_per_s: number };
}

function parseIds(s: string): number[] {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(s)) throw new UsageError(`--prompt-ids must be comma-separated token ids, got '${s}'`);
  return s.split(',').map(Number);
}

function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return Number(v);
}

export const argmaxOf = (a: Float32Array): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

export async function generate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'prompt-ids': { type: 'string' },
      'max-tokens': { type: 'string' },
      'ignore-eos': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.model) throw new UsageError('--model FILE.gguf is required');
  if (values.prompt !== undefined) throw new UsageError('--prompt needs the tokenizer, which is not built yet; pass token ids with --prompt-ids 1,2,3');
  if (values['prompt-ids'] === undefined) throw new UsageError('--prompt-ids 1,2,3 is required');
  const prompt = parseIds(values['prompt-ids']);
  const maxTokens = positive('max-tokens', values['max-tokens'], 32);

  const t0 = performance.now();
  const source = await fileSource(values.model);
  await Engine.inspect(source); // a bad file is reported before the GPU is touched
  const gpu = await openGpu(await nodeGpu());
  const engine = await Engine.load(gpu, source);
  try {
    const meta = engine.metadata;
    const stopIds = new Set<unknown>(['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id'].map((k) => meta[k]?.value).filter((v) => typeof v === 'number'));
    const t1 = performance.now();
    const seq = engine.createSequence();
    let logits = await engine.prefill(seq, prompt);
    const t2 = performance.now();
    const tokens: number[] = [];
    let finish: GenerateResult['finish_reason'] = 'length';
    while (tokens.length < maxTokens) {
      const next = argmaxOf(logits);
      tokens.push(next);
      if (!values['ignore-eos'] && stopIds.has(next)) {
        finish = 'stop';
        break;
      }
      if (tokens.length === maxTokens || engine.length(seq) >= engine.contextTokens) break;
      logits = await engine.decode(seq, next);
    }
    const t3 = performance.now();
    const text = piecesDecoder(meta)(tokens);
    const decoded = Math.max(0, tokens.length - 1); // the first token comes from the prefill
    const result: GenerateResult = {
      tokens,
      text,
      finish_reason: finish,
      timings: {
        load_ms: Math.round(t1 - t0),
        prefill_ms: Math.round(t2 - t1),
        decode_ms: Math.round(t3 - t2),
        prompt_tokens: prompt.length,
        prefill_tokens_per_s: +(prompt.length / ((t2 - t1) / 1000)).toFixed(2),
        decode_tokens_per_s: decoded ? +(decoded / ((t3 - t2) / 1000)).toFixed(2) : 0,
      },
    };
    if (values.json) console.log(JSON.stringify(result));
    else console.log(text);
  } finally {
    engine.unload();
    gpu.device.destroy();
  }
}
