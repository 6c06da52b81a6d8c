/**
 * The engine API on a real WebGPU device: sequences (interleaved, forked, copy-on-write), chunking,
 * weights split across bindings, the three byte sources, progress, and typed errors that leave the
 * engine usable.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { tensorBytes } from '../gguf/ggml.ts';
import { fileSource } from '../gguf/node_source.ts';
import { gpuBytes } from '../model/upload.ts';
import { blobSource, urlSource } from '../gguf/source.ts';
import { argmax, makeModel, maxAbsDiff, randomPrompt } from '../testing/models.ts';
import { Engine, type LoadProgress } from './engine.ts';
import { EngineError } from './errors.ts';

let gpu: Gpu;
let engine: Engine;
const path = () => makeModel({ name: 'engine api qwen2 GQA', args: ['--arch', 'qwen2', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] });

beforeAll(async () => {
  gpu = await openTestGpu();
  engine = await Engine.load(gpu, await fileSource(path()), { contextTokens: 128, kvTokens: 512, chunkTokens: 16, checkPlans: true }); // runs encoded afresh, compared with their step plans
});
afterAll(() => {
  engine?.unload();
  gpu?.device.destroy();
});

/** Greedy continuation of `prompt` by `n` tokens on sequence `seq`. */
async function greedy(e: Engine, seq: number, prompt: number[], n: number): Promise<number[]> {
  const out: number[] = [];
  let logits = await e.prefill(seq, prompt);
  while (out.length < n) {
    out.push(argmax(logits));
    if (out.length < n) logits = await e.decode(seq, out[out.length - 1]);
  }
  return out;
}

describe('sequences', () => {
  test('two sequences decoded interleaved give exactly the tokens each gives alone', async () => {
    const [pa, pb] = [randomPrompt(engine.hp.nVocab, 21, 1), randomPrompt(engine.hp.nVocab, 9, 2)];
    const alone = async (p: number[]) => {
      const s = engine.createSequence();
      const t = await greedy(engine, s, p, 24);
      engine.free(s);
      return t;
    };
    const [wantA, wantB] = [await alone(pa), await alone(pb)];
    const [a, b] = [engine.createSequence(), engine.createSequence()];
    const got: [number[], number[]] = [[], []];
    let [la, lb] = [await engine.prefill(a, pa), await engine.prefill(b, pb)];
    for (let i = 0; i < 24; i++) {
      got[0].push(argmax(la));
      got[1].push(argmax(lb));
      // issue both steps before awaiting either: the engine serializes them
      [la, lb] = await Promise.all([engine.decode(a, got[0][i]), engine.decode(b, got[1][i])]);
    }
    expect(got[0]).toEqual(wantA);
    expect(got[1]).toEqual(wantB);
    engine.free(a);
    engine.free(b);
  });

  test('a fork shares its prefix pages, copies the partial page on write, and continues like a fresh sequence', async () => {
    const free0 = engine.kvStats().freePages;
    const prompt = randomPrompt(engine.hp.nVocab, 40, 3); // 2 full pages of 16 + 8 tokens
    const parent = engine.createSequence();
    await engine.prefill(parent, prompt);
    expect(engine.kvStats().freePages).toBe(free0 - 3);
    const child = engine.fork(parent);
    expect(engine.pageTable(child)).toEqual(engine.pageTable(parent));
    expect(engine.kvStats().freePages).toBe(free0 - 3); // nothing copied yet

    const [x, y] = [5, 6];
    const childLogits = await engine.decode(child, x); // writes the shared partial page: copy on write
    expect(engine.kvStats().freePages).toBe(free0 - 4);
    expect(engine.pageTable(child).slice(0, 2)).toEqual(engine.pageTable(parent).slice(0, 2));
    expect(engine.pageTable(child)[2]).not.toBe(engine.pageTable(parent)[2]);
    const parentLogits = await engine.decode(parent, y);

    const fresh = async (ids: number[]) => {
      const s = engine.createSequence();
      const l = await engine.prefill(s, ids);
      engine.free(s);
      return l;
    };
    expect(maxAbsDiff([childLogits], [await fresh([...prompt, x])])).toBeLessThan(1e-4);
    expect(maxAbsDiff([parentLogits], [await fresh([...prompt, y])])).toBeLessThan(1e-4);
    engine.free(parent);
    expect(engine.kvStats().freePages).toBe(free0 - 3); // the child keeps the 2 shared pages and its own third
    engine.free(child);
    expect(engine.kvStats().freePages).toBe(free0);
  });

  test('chunked prefill equals token-by-token decode', async () => {
    const prompt = randomPrompt(engine.hp.nVocab, 37, 4);
    const s1 = engine.createSequence();
    const all = await engine.prefillAll(s1, prompt);
    const s2 = engine.createSequence();
    const steps: Float32Array[] = [];
    for (const id of prompt) steps.push(await engine.decode(s2, id));
    expect(maxAbsDiff(all, steps)).toBeLessThan(1e-4);
    engine.free(s1);
    engine.free(s2);
  });
});

describe('sampling prep on the GPU', () => {
  test('step() reads back the top k after adjustments, equal to the full logits; lastLogits() has the adjusted row', async () => {
    const prompt = randomPrompt(engine.hp.nVocab, 10, 9);
    const s1 = engine.createSequence();
    const full = await engine.prefill(s1, prompt);
    const order = Array.from(full.keys()).sort((a, b) => full[b] - full[a] || a - b);
    // mask the best token, push the 50th to the top, penalize the 2nd
    const adj = [
      { row: 0, id: order[0], r: 1, sub: Infinity },
      { row: 0, id: order[49], r: 1, sub: -100 },
      { row: 0, id: order[1], r: 1.5, sub: 0 },
    ];
    const want = Float32Array.from(full);
    want[order[0]] = -Infinity;
    want[order[49]] += 100;
    want[order[1]] = want[order[1]] > 0 ? want[order[1]] / 1.5 : want[order[1]] * 1.5;
    const s2 = engine.createSequence();
    const top = await engine.step(s2, prompt, { k: 8, invTemp: 0.5, adj });
    const wantOrder = Array.from(want.keys()).sort((a, b) => want[b] - want[a] || a - b).slice(0, 8);
    expect(Array.from(top.ids)).toEqual(wantOrder);
    expect(top.ids[0]).toBe(order[49]);
    const lse = (t: number) => {
      const m = Math.max(...want.filter(Number.isFinite).map((v) => v * t));
      return m + Math.log(want.reduce((s, v) => s + Math.exp(v * t - m), 0));
    };
    expect(Math.abs(top.lse1 - lse(1))).toBeLessThan(1e-3);
    expect(Math.abs(top.lseT - lse(0.5))).toBeLessThan(1e-3);
    const last = await engine.lastLogits();
    expect(last[order[0]]).toBe(-Infinity);
    last[order[0]] = want[order[0]] = 0;
    expect(maxAbsDiff([last], [want])).toBeLessThan(1e-4);
    engine.free(s1);
    engine.free(s2);
  });
});

describe('errors leave the engine working', () => {
  test('bad token ids, unknown sequences and a full context are typed errors; a full KV pool preempts and recomputes', async () => {
    const s = engine.createSequence();
    await expect(engine.prefill(s, [engine.hp.nVocab])).rejects.toMatchObject({ code: 'bad-token' });
    await expect(engine.prefill(s, [1.5])).rejects.toMatchObject({ code: 'bad-token' });
    await expect(engine.prefill(12345, [1])).rejects.toMatchObject({ code: 'bad-sequence' });
    await expect(engine.prefill(s, randomPrompt(engine.hp.nVocab, 129, 5))).rejects.toMatchObject({ code: 'context-full' });
    expect(engine.length(s)).toBe(0);
    // 512 pool tokens = 32 pages; four sequences of 120 tokens (8 pages each) fill it. A fifth sequence's
    // feed takes the pages of the one used last, which keeps its tokens: its next feed recomputes them first
    // and gives the logits it would have given (preempting the fifth in turn)
    const prompts = [0, 1, 2, 3].map((i) => randomPrompt(engine.hp.nVocab, 120, 6 + i));
    const probe = engine.createSequence();
    const want = await engine.prefill(probe, [...prompts[3], 7]);
    engine.free(probe);
    const full = prompts.map(() => engine.createSequence());
    for (const [i, f] of full.entries()) await engine.prefill(f, prompts[i]);
    expect(engine.kvStats().freePages).toBe(0);
    const before = engine.schedulerStats().preemptions;
    expect((await engine.prefill(s, [1])).length).toBe(engine.hp.nVocab);
    expect(engine.length(full[3])).toBe(120); // its tokens are kept, its pages are gone
    expect(await engine.decode(full[3], 7)).toEqual(want);
    expect(engine.schedulerStats().preemptions - before).toBe(2);
    expect(engine.length(s)).toBe(1);
    for (const f of full) engine.free(f);
    expect((await engine.prefill(s, [1, 2, 3])).length).toBe(engine.hp.nVocab);
    engine.free(s);
  });
});

describe('loading', () => {
  test('weights split across small bindings give the same logits; Blob and HTTP Range sources load the same model', async () => {
    const prompt = randomPrompt(engine.hp.nVocab, 20, 8);
    const want = await engine.prefillAll(engine.createSequence(), prompt);
    const bytes = await readFile(path());

    // a pretend adapter whose bindings hold 16 KiB: every matrix and the embedding table are split by rows
    const small: Gpu = { device: gpu.device, info: { ...gpu.info, maxStorageBufferBindingSize: 16 << 10 } };
    const progress: LoadProgress[] = [];
    const split = await Engine.load(small, blobSource(new Blob([bytes]), 'model.gguf'), { contextTokens: 64, kvBudgetBytes: 1 << 20, onProgress: (p) => progress.push(p) });
    expect(maxAbsDiff(await split.prefillAll(split.createSequence(), prompt), want)).toBeLessThan(1e-4);
    expect(split.memory().weightsBytes).toBeGreaterThanOrEqual(progress[progress.length - 1].totalBytes);
    split.unload();
    expect(progress[0].loadedBytes).toBe(0);
    expect(progress[progress.length - 1].loadedBytes).toBe(progress[0].totalBytes);
    expect(progress.every((p, i) => i === 0 || p.loadedBytes >= progress[i - 1].loadedBytes)).toBe(true);

    // over real HTTP with Range requests
    let ranges = 0;
    const server: Server = createServer((req, res) => {
      const m = req.headers.range?.match(/bytes=(\d+)-(\d+)/);
      if (!m) return void res.writeHead(200).end(bytes);
      ranges++;
      const [a, b] = [Number(m[1]), Math.min(Number(m[2]), bytes.length - 1)];
      res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${bytes.length}` }).end(bytes.subarray(a, b + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m.gguf`;
      const remote = await Engine.load(gpu, await urlSource(url), { contextTokens: 64 });
      expect(maxAbsDiff(await remote.prefillAll(remote.createSequence(), prompt), want)).toBeLessThan(1e-4);
      remote.unload();
      expect(ranges).toBeGreaterThan(3);
    } finally {
      server.close();
    }
  });

  test('GPU memory is the weights as stored (vectors as f32, Q8_0/Q4_0 rows padded to 16 bytes) + the KV pool + small scratch', async () => {
    const { tensors } = await Engine.inspect(await fileSource(path()));
    const stored = tensors.reduce((s, t) => s + gpuBytes(t), 0);
    const inFile = tensors.reduce((s, t) => s + (t.dims.length === 1 ? t.dims[0] * 4 : t.bytes), 0);
    const rows = tensors.reduce((s, t) => s + (t.dims.length === 1 ? 0 : t.bytes / tensorBytes(t.type, t.dims[0])), 0);
    expect(stored - inFile).toBeGreaterThanOrEqual(0);
    expect(stored - inFile).toBeLessThanOrEqual(14 * rows); // the scales' padding: at most 14 bytes a row
    const m = engine.memory();
    expect(m.weightsBytes).toBeGreaterThanOrEqual(stored);
    expect(m.weightsBytes).toBeLessThanOrEqual(stored + 4 * tensors.length); // only 4-byte padding
    const { totalPages, pageSize } = engine.kvStats();
    expect(m.kvBytes).toBe(2 * engine.hp.nLayer * totalPages * pageSize * engine.hp.nHeadKv * engine.hp.headDim * 2); // f16
    expect(m.scratchBytes).toBeLessThan(m.weightsBytes);
  });

  test('a KV pool that cannot fit is a too-large error', async () => {
    await expect(Engine.load(gpu, await fileSource(path()), { kvBudgetBytes: 1000 })).rejects.toMatchObject({ code: 'too-large' });
  });

  test('q/k norms of more heads than rope_kv\'s workgroup keeps factors for are a too-large error at load; other models load after', async () => {
    const many = makeModel({ name: 'engine qwen3 256 + 2 heads', args: ['--arch', 'qwen3', '--embd', '64', '--heads', '256', '--kv-heads', '2', '--head-dim', '2', '--ff', '128', '--layers', '1'] });
    await expect(Engine.load(gpu, await fileSource(many), { contextTokens: 32 })).rejects.toMatchObject({ code: 'too-large', message: expect.stringMatching(/258 q and k heads to normalize; at most 256/) });
    const e = await Engine.load(gpu, await fileSource(path()), { contextTokens: 32 });
    e.unload();
  });

  test('after device loss calls fail with device-lost, and the model loads again on a new device', async () => {
    const own = await openTestGpu();
    const e = await Engine.load(own, await fileSource(path()), { contextTokens: 64 });
    const s = e.createSequence();
    await e.prefill(s, [1, 2]);
    own.device.destroy();
    await own.device.lost;
    await expect(e.decode(s, 3)).rejects.toMatchObject({ code: 'device-lost' });
    const again = await openTestGpu();
    const e2 = await Engine.load(again, await fileSource(path()), { contextTokens: 64 });
    expect((await e2.prefill(e2.createSequence(), [1, 2, 3])).length).toBe(e2.hp.nVocab);
    e2.unload();
    again.device.destroy();
  });
});
