/**
 * `tabserve bench`: single-stream speed of each model (load, prefill, decode, host time per step, effective
 * weight bandwidth against the adapter's streaming-read bandwidth, GPU memory), llama.cpp on the same GGUF
 * as the peer, and optionally concurrent streams; all side by side in one run. Without --model it benches
 * generated models shaped like real ones (src/bench/shapes.ts). --record appends the report to a file.
 */
import { appendFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { cpus, release, totalmem, type } from 'node:os';
import { parseArgs } from 'node:util';
import { measureBandwidth } from '../bench/bandwidth.ts';
import type { BrowserPeerName } from '../bench/browser.ts';
import { measureOurs, randomPrompt, type BenchSampling } from '../bench/ours.ts';
import { markdownReport, type BenchReport, type ModelResult } from '../bench/report.ts';
import { BENCH_TYPES, SHAPES, shapeModel, unsupported } from '../bench/shapes.ts';
import { measureStreams } from '../bench/streams.ts';
import { fileSource } from '../gguf/node_source.ts';
import { isMatmulLanes, isMatmulRows } from '../engine/engine.ts';
import { layoutName } from '../model/tune.ts';
import { openGpu } from '../gpu/device.ts';
import { nodeGpu } from '../gpu/node.ts';
import type { WeightTypeName } from '../model/test_model.ts';
import { UsageError } from './usage.ts';

function positiveInts(name: string, v: string): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--${name} must be positive integers separated by commas, got '${v}'`);
  return out;
}

function list<T extends string>(name: string, v: string, known: readonly string[]): T[] {
  const out = v === 'all' ? [...known] : v.split(',').map((s) => s.trim());
  const bad = out.filter((s) => !known.includes(s));
  if (bad.length || !out.length) throw new UsageError(`--${name}: unknown ${bad.join(', ') || "''"} (known: ${known.join(', ')}, or all)`);
  return out as T[];
}

/** --temperature, --top-p, --top-k: greedy (undefined) at temperature 0, else how the timed tokens are sampled. */
function benchSampling(t: string, p: string, k: string): BenchSampling | undefined {
  const [temperature, topP, topK] = [Number(t), Number(p), Number(k)];
  if (!(Number.isFinite(temperature) && temperature >= 0 && t.trim() !== '')) throw new UsageError(`--temperature must be a number >= 0, got '${t}'`);
  if (!(topP > 0 && topP <= 1)) throw new UsageError(`--top-p must be a number in (0, 1], got '${p}'`);
  if (!(Number.isInteger(topK) && topK >= 0 && k.trim() !== '')) throw new UsageError(`--top-k must be an integer >= 0 (0: the whole vocabulary), got '${k}'`);
  if (temperature === 0) {
    if (topP !== 1 || topK !== 0) throw new UsageError('--top-p and --top-k need a --temperature above 0 (0 is greedy)');
    return undefined;
  }
  return { temperature, topP, topK };
}

const machine = () => `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${type()} ${release()}`;

export async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string', multiple: true },
      shape: { type: 'string', default: 'smollm2-135m' },
      type: { type: 'string', default: 'q8_0' },
      'prompt-tokens': { type: 'string', default: '512' },
      'max-tokens': { type: 'string', default: '128' },
      peer: { type: 'string', default: 'llama.cpp' },
      streams: { type: 'string' },
      'stream-tokens': { type: 'string', default: '32' },
      record: { type: 'string' },
      json: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      lanes: { type: 'string' },
      'prefill-rows': { type: 'string' },
      'decode-rows': { type: 'string' },
      browser: { type: 'boolean', default: false },
      'browser-peers': { type: 'string', default: 'cpu,webgpu' },
      temperature: { type: 'string', default: '0' },
      'top-p': { type: 'string', default: '1' },
      'top-k': { type: 'string', default: '0' },
    },
  });
  const sampling = benchSampling(values.temperature, values['top-p'], values['top-k']);
  if (sampling && values.browser) throw new UsageError('--browser runs greedy only: leave out --temperature');
  const [promptTokens] = positiveInts('prompt-tokens', values['prompt-tokens']);
  const [maxTokens] = positiveInts('max-tokens', values['max-tokens']);
  if (maxTokens < 2) throw new UsageError('--max-tokens must be at least 2 (decode speed is timed after the first token)');
  const streams = values.streams ? positiveInts('streams', values.streams) : [];
  const [streamTokens] = positiveInts('stream-tokens', values['stream-tokens']);
  const lanes = values.lanes ? positiveInts('lanes', values.lanes) : [];
  const badLanes = lanes.filter((n) => !isMatmulLanes(n));
  if (badLanes.length) throw new UsageError(`--lanes must be powers of two from 1 to 64, got ${badLanes.join(', ')}`);
  const rowSweep = (name: 'prefill-rows' | 'decode-rows'): number[] => {
    const rows = values[name] ? positiveInts(name, values[name]) : [];
    const bad = rows.filter((n) => !isMatmulRows(n));
    if (bad.length) throw new UsageError(`--${name} must be integers from 1 to 4, got ${bad.join(', ')}`);
    return rows;
  };
  const layouts = [
    ...lanes.map((n) => ({ name: `${n} lanes`, what: `${n} lanes per matmul row`, load: { matmulLanes: n } })),
    ...rowSweep('prefill-rows').map((n) => ({ name: `${n} prefill rows`, what: `${n} rows per prefill matmul invocation`, load: { prefillRows: n } })),
    ...rowSweep('decode-rows').map((n) => ({ name: `${n} decode rows`, what: `${n} rows per decode matmul invocation`, load: { decodeRows: n } })),
  ];
  if (!['llama.cpp', 'none'].includes(values.peer)) throw new UsageError(`--peer must be llama.cpp or none, got '${values.peer}'`);
  const browserPeers = values['browser-peers'] === 'none' ? [] : list<BrowserPeerName>('browser-peers', values['browser-peers'], ['cpu', 'webgpu']);
  const log = (line: string) => console.error(`bench: ${line}`);

  // the models: files given, or every supported (shape, type) pair asked for
  const models: { name: string; path: () => Promise<string> }[] = [];
  if (values.model?.length) {
    for (const p of values.model) models.push({ name: basename(p), path: async () => p });
  } else {
    for (const shape of list('shape', values.shape, Object.keys(SHAPES))) {
      for (const t of list<WeightTypeName>('type', values.type, BENCH_TYPES)) {
        const why = unsupported(SHAPES[shape], t);
        if (why) log(`skipping ${shape} ${t}: ${why}`);
        else models.push({ name: `${shape} ${t}`, path: () => shapeModel(shape, t, log) });
      }
    }
  }
  if (!models.length) throw new UsageError('no model to bench');

  const gpu = await openGpu(await nodeGpu(), { timestamps: values.profile });
  try {
    log('measuring the streaming-read bandwidth ...');
    const bandwidth = await measureBandwidth(gpu.device);
    const results: ModelResult[] = [];
    for (const m of models) {
      const path = await m.path();
      log(`${m.name}: tabserve ...`);
      const ours = await measureOurs(gpu, () => fileSource(path), { promptTokens, maxTokens, profile: values.profile, sampling });
      const result: ModelResult = { model: m.name, ours };
      if (values.peer === 'llama.cpp') {
        log(`${m.name}: llama.cpp ...`);
        const { measureLlamaCpp } = await import('../bench/llama_cpp.ts');
        try {
          // the same prompt ids as ours (randomPrompt's default seed)
          result.peer = await measureLlamaCpp(path, randomPrompt(promptTokens, ours.nVocab), maxTokens, sampling);
        } catch (e) {
          result.peerError = (e as Error).message.split('\n')[0];
        }
      }
      if (values.browser) {
        log(`${m.name}: in Chromium ...`);
        const { runBrowserBench } = await import('../bench/browser.ts');
        result.browser = await runBrowserBench(path, { promptTokens, maxTokens, peers: browserPeers, log });
      }
      if (streams.length) {
        log(`${m.name}: ${streams.join(', ')} concurrent streams ...`);
        result.streams = await measureStreams(gpu, path, streams, streamTokens);
      }
      results.push(result);
      // the tuning sweeps: our run again in another matmul layout; and in the default one, where tuning at load chose another
      const untuned = layouts.length && ours.layoutTuning && layoutName(ours.layoutTuning.chosen) !== 'default' ? [{ name: 'default layout', what: 'the default matmul layout (no tuning)', load: { tune: false } }] : [];
      for (const v of [...untuned, ...layouts]) {
        log(`${m.name}: tabserve, ${v.what} ...`);
        results.push({ model: `${m.name}, ${v.name}`, ours: await measureOurs(gpu, () => fileSource(path), { promptTokens, maxTokens, profile: values.profile, sampling, ...v.load }) });
      }
    }
    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: machine(),
      adapter: [gpu.info.vendor, gpu.info.architecture, gpu.info.description].filter(Boolean).join(' / '),
      command: `tabserve bench ${argv.join(' ')}`.trim(),
      promptTokens,
      maxTokens,
      sampling,
      bandwidth,
      models: results,
    };
    const text = markdownReport(report);
    console.log(values.json ? JSON.stringify(report) : text);
    if (values.record) {
      await appendFile(values.record, '\n' + text);
      log(`appended to ${values.record}`);
    }
  } finally {
    gpu.device.destroy();
  }
}
