/**
 * `tabserve generate`: loads a GGUF model on WebGPU (Dawn) and continues a prompt: text (--prompt, or
 * --chat to wrap it in the model's chat template as a user message) or token ids (--prompt-ids).
 * Greedy unless --temperature is given; the sampling controls are those of src/sampling.
 */
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.ts';
import { generate as generateTokens, type FinishReason } from '../engine/generate.ts';
import { openGpu } from '../gpu/device.ts';
import { nodeGpu } from '../gpu/node.ts';
import { fileSource } from '../gguf/node_source.ts';
import { SamplingParamError, validateSampling } from '../sampling/params.ts';
import { ChatTemplate } from '../template/chat_template.ts';
import { chatPromptIds, completionPromptIds } from '../template/prompt_ids.ts';
import { tokenizerFromGguf } from '../tokenizer/tokenizer.ts';
import { UsageError } from './usage.ts';

export interface GenerateResult {
  tokens: number[]; // generated ids (the prompt excluded)
  text: string;
  finish_reason: FinishReason;
  timings: { load_ms: number; first_token_ms: number; total_ms: number; prompt_tokens: number; completion_tokens: number; decode_tokens_per_s: number };
}

function parseIds(s: string): number[] {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(s)) throw new UsageError(`--prompt-ids must be comma-separated token ids, got '${s}'`);
  return s.split(',').map(Number);
}

function num(name: string, v: string | undefined, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${v}'`);
  return n;
}

export async function generate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'prompt-ids': { type: 'string' },
      chat: { type: 'boolean', default: false },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'min-p': { type: 'string' },
      seed: { type: 'string' },
      stop: { type: 'string', multiple: true },
      'ignore-eos': { type: 'boolean', default: false },
      'f32-inputs': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.model) throw new UsageError('--model FILE.gguf is required');
  if ((values.prompt === undefined) === (values['prompt-ids'] === undefined)) throw new UsageError('give the prompt as --prompt TEXT or --prompt-ids 1,2,3');
  if (values.chat && values.prompt === undefined) throw new UsageError('--chat needs --prompt TEXT');
  const maxTokens = num('max-tokens', values['max-tokens'], true) ?? 32;
  if (maxTokens < 1) throw new UsageError(`--max-tokens must be a positive integer, got '${values['max-tokens']}'`);
  const raw = {
    max_tokens: maxTokens,
    temperature: num('temperature', values.temperature) ?? 0,
    top_k: num('top-k', values['top-k'], true),
    top_p: num('top-p', values['top-p']),
    min_p: num('min-p', values['min-p']),
    seed: num('seed', values.seed, true),
    stop: values.stop,
    ignore_eos: values['ignore-eos'],
  };

  const ids = values['prompt-ids'] !== undefined ? parseIds(values['prompt-ids']) : undefined;
  const t0 = performance.now();
  const source = await fileSource(values.model);
  const { file } = await Engine.inspect(source); // a bad file is reported before the GPU is touched
  const tok = tokenizerFromGguf(file.metadata);
  let params;
  try {
    params = validateSampling(raw, tok.nVocab);
  } catch (e) {
    if (e instanceof SamplingParamError) throw new UsageError(`--${(e.param ?? '').replaceAll('_', '-')}: ${e.message}`);
    throw e;
  }
  const prompt =
    ids ??
    (values.chat
        ? chatPromptIds(tok, ChatTemplate.fromMetadata(file.metadata), { messages: [{ role: 'user', content: values.prompt! }] }).ids
        : completionPromptIds(tok, values.prompt!));
  const gpu = await openGpu(await nodeGpu());
  const engine = await Engine.load(gpu, source, { int8Dot: !values['f32-inputs'] });
  try {
    const t1 = performance.now();
    const tokens: number[] = [];
    let text = '';
    let finish: FinishReason = 'length';
    let tFirst = 0;
    for await (const ev of generateTokens(engine, { prompt, params, tokenizer: tok, continues: !values.chat })) {
      if (ev.kind === 'token') {
        tFirst ||= performance.now();
        tokens.push(ev.token);
      }
      if (ev.kind === 'done') finish = ev.finishReason;
      else {
        text += ev.text;
        if (!values.json) process.stdout.write(ev.text);
      }
    }
    const t2 = performance.now();
    if (!values.json) {
      process.stdout.write('\n');
      return;
    }
    const result: GenerateResult = {
      tokens,
      text,
      finish_reason: finish,
      timings: {
        load_ms: Math.round(t1 - t0),
        first_token_ms: Math.round((tFirst || t2) - t1),
        total_ms: Math.round(t2 - t1),
        prompt_tokens: prompt.length,
        completion_tokens: tokens.length,
        decode_tokens_per_s: tokens.length > 1 && tFirst ? +((tokens.length - 1) / ((t2 - tFirst) / 1000)).toFixed(2) : 0,
      },
    };
    console.log(JSON.stringify(result));
  } finally {
    engine.unload();
    gpu.device.destroy();
  }
}
