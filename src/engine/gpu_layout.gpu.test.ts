/**
 * The engine as it runs on a real GPU, on the software adapter: the forward takes its layout from
 * GpuInfo.isFallbackAdapter (one invocation per matmul row on a CPU adapter; on a GPU a row's blocks spread
 * over up to 64 lanes summed by subgroups, no rows per invocation, no sleep before a read), and no machine of
 * CI has a GPU. So the GPU layout is forced here and held to the same bounds as the CPU layout: logits of a
 * chunked prefill and of decode steps within 1e-2 (8-bit inputs: 3e-2) relative of the fp32 CPU pass, and
 * greedy tokens through the generate loop (steps ahead included) equal to the CPU layout's. Also the
 * bench's tuning layouts (matmulLanes; prefillRows, which must change no bit) and the f32-input path.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { CpuModel } from '../reference/cpu_forward.ts';
import { samplingParams } from '../sampling/params.ts';
import { makeModel, randomPrompt, worstRelative, type ModelCase } from '../testing/models.ts';
import { tokenizerFromGguf } from '../tokenizer/tokenizer.ts';
import { Engine, type LoadOptions } from './engine.ts';
import { generate } from './generate.ts';

let gpu: Gpu;
let asGpu: Gpu; // the same device, its info saying it is not a fallback adapter
beforeAll(async () => {
  gpu = await openTestGpu();
  asGpu = { ...gpu, info: { ...gpu.info, isFallbackAdapter: false } };
});
afterAll(() => gpu?.device.destroy());

const K = ['--embd', '256', '--ff', '768']; // K-quant rows are whole 256-element super-blocks
interface LayoutCase extends ModelCase {
  load?: LoadOptions;
}
const cases: LayoutCase[] = [
  { name: 'gpu layout llama q8_0 GQA', vocab: 'llama-spm', bos: 1, args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] },
  { name: 'gpu layout llama q4_k_m', vocab: 'llama-spm', bos: 1, args: ['--arch', 'llama', '--type', 'q4_k_m', ...K] },
  { name: 'gpu layout qwen2 q4_0 biases', vocab: 'qwen2', args: ['--arch', 'qwen2', '--type', 'q4_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '320'] },
  { name: 'gpu layout gemma2 f16 softcaps, window', vocab: 'llama-spm', bos: 1, args: ['--arch', 'gemma2', '--type', 'f16', '--sliding-window', '8', '--embd', '128', '--heads', '2', '--kv-heads', '1', '--ff', '256'] },
  { name: 'gpu layout llama q4_0, 8 lanes per row', vocab: 'llama-spm', bos: 1, load: { matmulLanes: 8 }, args: ['--arch', 'llama', '--type', 'q4_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] },
  { name: 'gpu layout llama q8_0, f32 inputs', vocab: 'llama-spm', bos: 1, load: { int8Dot: false }, args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] },
];

describe.each(cases)('$name', (c) => {
  test('prefill and decode logits against the CPU pass; greedy tokens as on the CPU layout', async () => {
    const path = makeModel(c);
    const int8 = gpu.info.int8Dot && (c.load?.int8Dot ?? true);
    const load = { contextTokens: 128, chunkTokens: 12, tune: false, ...c.load }; // the default layout (tune.gpu.test.ts tunes)
    const engine = await Engine.load(asGpu, await fileSource(path), load);
    try {
      const ids = randomPrompt(engine.hp.nVocab, 48, 21, c.bos);
      const cpu = (await CpuModel.load(path, { contextTokens: 128, q8Activations: int8 })).forward(ids);
      const seq = engine.createSequence();
      const ours = await engine.prefillAll(seq, ids.slice(0, 32)); // chunks of 12: 8-token matmuls and 4-token ones
      for (const id of ids.slice(32)) ours.push(await engine.decode(seq, id));
      engine.free(seq);
      const worst = worstRelative(ours, cpu);
      console.log(`${c.name}: max relative |gpu - cpu| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(int8 ? 3e-2 : 1e-2);

      // the generate loop, whose greedy steps go ahead, against the CPU layout's engine
      const tok = tokenizerFromGguf(engine.metadata);
      const greedy = async (e: Engine) => {
        const out: number[] = [];
        const params = samplingParams({ temperature: 0, max_tokens: 16, ignore_eos: true });
        for await (const ev of generate(e, { prompt: ids.slice(0, 9), params, tokenizer: tok })) if (ev.kind === 'token') out.push(ev.token);
        return out;
      };
      const cpuLayout = await Engine.load(gpu, await fileSource(path), load);
      try {
        expect(await greedy(engine)).toEqual(await greedy(cpuLayout));
      } finally {
        cpuLayout.unload();
      }
    } finally {
      engine.unload();
    }
  });
});

describe.each([
  { name: 'llama q4_k_m (Q4_K and Q6_K rows)', vocab: 'llama-spm', bos: 1, args: ['--arch', 'llama', '--type', 'q4_k_m', ...K] },
  { name: 'qwen2 q8_0 biases', vocab: 'qwen2', args: ['--arch', 'qwen2', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '352'] },
] as ModelCase[])('gpu layout $name, rows per matmul invocation', (c) => {
  test('3 or 4 rows per invocation, prefill or decode, give the same bits as 1: prefill logits, and decode over its cache', async () => {
    const path = makeModel(c);
    const device = asGpu.device;
    const run = async (rows: { prefillRows?: number; decodeRows?: number } = {}): Promise<Float32Array[]> => {
      const labels: string[] = []; // the pipelines the engine creates: prefillRows must reach the matmuls
      const create = device.createComputePipeline;
      device.createComputePipeline = (d) => (labels.push(d.label ?? ''), create.call(device, d));
      try {
        const engine = await Engine.load(asGpu, await fileSource(path), { contextTokens: 128, chunkTokens: 12, tune: false, ...rows });
        try {
          const ids = randomPrompt(engine.hp.nVocab, 40, 5, c.bos);
          const seq = engine.createSequence();
          const out = await engine.prefillAll(seq, ids.slice(0, 34)); // chunks of 12: 8-token matmuls and 2-token ones
          for (const id of ids.slice(34)) out.push(await engine.decode(seq, id));
          engine.free(seq);
          const laned = labels.filter((l) => l.startsWith('matmul_q8|') && !/TPR=1(,|$)/.test(l));
          const rpi = (tt: string) => new Set(laned.filter((l) => l.includes(tt)).map((l) => /RPI=(\d)/.exec(l)?.[1]));
          expect([...rpi('TT=8')], laned.join('\n')).toEqual([String(rows.prefillRows ?? 1)]);
          expect([...rpi('TT=1,')], laned.join('\n')).toEqual([String(rows.decodeRows ?? 1)]);
          return out;
        } finally {
          engine.unload();
        }
      } finally {
        device.createComputePipeline = create;
      }
    };
    const bytes = (rows: Float32Array[]) => Buffer.concat(rows.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
    const one = bytes(await run());
    for (const rows of [{ prefillRows: 3 }, { prefillRows: 4, decodeRows: 3 }]) expect(bytes(await run(rows)).equals(one), JSON.stringify(rows)).toBe(true);
  });
});
