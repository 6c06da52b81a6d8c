/**
 * `tabserve bench` results as Markdown tables (printed, and appended to BENCHMARKS.md with --record) and as
 * one JSON object (--json). Pure: the figures in, text out.
 */
import { layoutName, type LayoutTuning } from '../model/tune.ts';
import type { Bandwidth } from './bandwidth.ts';
import type { BrowserBenchResult } from './browser/messages.ts';
import type { PeerFigures } from './llama_cpp.ts';
import type { BenchSampling, OurFigures, RunFigures } from './ours.ts';
import { profileRows, type ProfileRow } from './profile.ts';
import type { StreamsResult } from './streams.ts';

export interface ModelResult {
  model: string; // shape-type, or the file name
  ours: OurFigures;
  peer?: PeerFigures;
  peerError?: string; // why the peer has no figures
  streams?: StreamsResult[];
  browser?: BrowserBenchResult & { chromium?: string }; // --browser: tabserve and wllama in headless Chromium
}

/** The sampling's words in the report, e.g. 'sampled at temperature 1, top_p 1, top_k 0 (seed 1)'. */
export const samplingWords = (s: BenchSampling | undefined): string => (s ? `sampled at temperature ${s.temperature}, top_p ${s.topP}, top_k ${s.topK} (seed 1)` : 'greedy');

export interface BenchReport {
  date: string; // ISO 8601
  machine: string; // CPU, cores, memory, OS
  adapter: string;
  command: string;
  promptTokens: number;
  maxTokens: number;
  sampling?: BenchSampling; // greedy when absent
  bandwidth: Bandwidth;
  models: ModelResult[];
}

/** How many leading tokens two greedy runs share, as 'k/n' (n: the shorter run), or '-' without both. */
export function sameTokens(a: readonly number[] | undefined, b: readonly number[] | undefined): string {
  if (!a || !b) return '-';
  const n = Math.min(a.length, b.length);
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return `${k}/${n}`;
}

const MiB = (b: number) => (b / 1048576).toFixed(0);
const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function markdownReport(r: BenchReport): string {
  const lines = [
    `## ${r.date.slice(0, 10)}: ${r.adapter}`,
    '',
    `- date: ${r.date}`,
    `- machine: ${r.machine}`,
    `- adapter: ${r.adapter}`,
    `- command: \`${r.command}\``,
    `- streaming-read bandwidth (stream_read.wgsl, ${MiB(r.bandwidth.bytes)} MiB x ${r.bandwidth.sweeps}): ${f(r.bandwidth.gbPerSecond, 2)} GB/s`,
    `- ${r.promptTokens}-token random prompt, then ${r.sampling ? `${r.maxTokens} tokens ${samplingWords(r.sampling)}` : `${r.maxTokens} greedy tokens`} (EOS ignored); random weights`,
    '',
    ...table(
      ['model', 'file MiB', 'load MB/s', 'TTFT ms', 'prefill tok/s', 'decode tok/s', 'host ms/step', 'median', 'ahead ms/step', 'weights GB/s', '% of read bw', 'GPU MiB (weights + KV)'],
      r.models.map(({ model, ours: o }) => [
        model,
        MiB(o.fileBytes),
        f(o.loadMBPerSecond, 0),
        f(o.ttftMs, 0),
        f(o.prefillTokensPerSecond),
        f(o.decodeTokensPerSecond, 2),
        f(o.hostMsPerStep, 2),
        f(o.hostMsMedian, 2),
        f(o.aheadMsPerStep, 2),
        f(o.effectiveGBPerSecond, 2),
        f((100 * o.effectiveGBPerSecond) / r.bandwidth.gbPerSecond, 0),
        `${MiB(o.gpuPeakBytes)} (${MiB(o.weightBytes)} + ${MiB(o.kvBytes)})`,
      ]),
    ),
  ];
  const peers = r.models.filter((m) => m.peer || m.peerError);
  if (peers.length) {
    const same = r.sampling ? 'same tokens: not compared (the samplers draw differently)' : 'same tokens: how many of the greedy tokens agree before the first that differs (near-ties of random weights can part them)';
    lines.push('', `Peer in the same run: llama.cpp (node-llama-cpp) on the same GGUF and prompt, ${samplingWords(r.sampling)}; ratios are ours / theirs; ${same}.`, '');
    lines.push(
      ...table(
        ['model', 'llama.cpp backend', 'TTFT ms', 'prefill tok/s', 'decode tok/s', 'prefill ratio', 'decode ratio', 'same tokens'],
        peers.map(({ model, ours: o, peer: p, peerError }) =>
          p
            ? [model, p.backend, f(p.ttftMs, 0), f(p.prefillTokensPerSecond), f(p.decodeTokensPerSecond, 2), f(o.prefillTokensPerSecond / p.prefillTokensPerSecond, 2), f(o.decodeTokensPerSecond / p.decodeTokensPerSecond, 2), r.sampling ? '-' : sameTokens(o.tokens, p.tokens)]
            : [model, `unavailable: ${peerError}`, '-', '-', '-', '-', '-', '-'],
        ),
      ),
    );
  }
  for (const m of r.models.filter((x) => x.streams?.length)) {
    const base = m.streams![0].tokensPerSecond;
    lines.push('', `Concurrent greedy streams on ${m.model} (continuous batching): aggregate tokens/s, and its ratio to the first count.`, '');
    lines.push(...table(['streams', 'tokens', 'seconds', 'tokens/s', 'ratio', 'chunks'], m.streams!.map((s) => [String(s.streams), String(s.tokens), f(s.seconds, 2), f(s.tokensPerSecond), f(s.tokensPerSecond / base, 2), String(s.chunks)])));
  }
  for (const m of r.models.filter((x) => x.ours.layoutTuning)) lines.push('', tuningLine(m.model, m.ours.layoutTuning!));
  for (const m of r.models.filter((x) => x.ours.profile || x.ours.profileError)) lines.push('', ...profileSection(m.model, m.ours, r.bandwidth.gbPerSecond));
  for (const m of r.models.filter((x) => x.ours.prefillProfile)) lines.push('', ...prefillProfileSection(m.model, m.ours.prefillProfile!));
  for (const m of r.models.filter((x) => x.browser)) lines.push('', ...browserSection(m.model, m.browser!));
  return lines.join('\n') + '\n';
}

/** The load's layout tuning (model/tune.ts): each candidate's time for a decode step's matmuls, and the choice. */
export function tuningLine(model: string, t: LayoutTuning): string {
  const times = t.timings.map((x) => `${layoutName(x.layout)} ${f(x.ms * 1000, 0)}`).join(', ');
  return `Matmul layout tuned at load for ${model} (${f(t.seconds, 2)} s of the load): ${layoutName(t.chosen)} chosen. A decode step's matmuls, µs (the fastest of ${t.rounds} rounds of ${t.repeats} a submit): ${times}.`;
}

/** Kernels whose time is reading weights: their GB/s is the step's weight bytes over their time. */
const WEIGHT_KERNELS = ['matmul', 'matmul_q8'];

/** --profile: a decode step's GPU time per kernel (profile.ts), against the step's wall time per token. */
export function profileSection(model: string, o: OurFigures, readGBPerSecond: number): string[] {
  const p = o.profile;
  if (!p) return [`Decode step profile of ${model}: none: ${o.profileError}`];
  const rows = profileRows(p);
  const sum = rows.reduce((t, r) => t + r.ns, 0);
  const matNs = rows.filter((r) => WEIGHT_KERNELS.includes(r.kernel)).reduce((t, r) => t + r.ns, 0);
  const matGB = matNs > 0 ? o.weightBytesPerToken / matNs : NaN; // bytes per ns = GB/s
  return [
    `Decode step profile of ${model} (timestamp queries, medians): ${us(p.stepNs)} µs of GPU time as the one pass the engine submits; ` +
      `${p.dispatches.length} dispatches, ${us(sum)} µs when each runs in a pass of its own; ${f(1e6 / o.decodeTokensPerSecond, 0)} µs per token in the decode above. ` +
      `The matmuls read the step's weights at ${f(matGB, 2)} GB/s (${f((100 * matGB) / readGBPerSecond, 0)}% of the read bandwidth).`,
    '',
    ...kernelTable(rows),
  ];
}

/** --profile: the prompt's last prefill chunk's GPU time per kernel, and the tokens/s of its one pass. */
export function prefillProfileSection(model: string, p: NonNullable<OurFigures['prefillProfile']>): string[] {
  const rows = profileRows(p);
  return [
    `Prefill chunk profile of ${model} (the prompt's last chunk: ${p.tokens} tokens at positions ${p.firstPos}..${p.firstPos + p.tokens - 1}; timestamp queries, medians): ` +
      `${us(p.stepNs)} µs of GPU time as the one pass the engine submits (${f(p.tokens / (p.stepNs / 1e9))} tokens/s); ` +
      `${p.dispatches.length} dispatches, ${us(rows.reduce((t, r) => t + r.ns, 0))} µs when each runs in a pass of its own.`,
    '',
    ...kernelTable(rows),
  ];
}

const us = (ns: number) => f(ns / 1000, 0);

function kernelTable(rows: ProfileRow[]): string[] {
  return table(['kernel', 'dispatches', 'µs', 'share'], rows.map((r) => [r.kernel, String(r.dispatches), us(r.ns), `${f(100 * r.share, 0)}%`]));
}

function browserSection(model: string, b: NonNullable<ModelResult['browser']>): string[] {
  if (b.kind === 'error') return [`In headless Chromium, ${model}: failed: ${b.message}`];
  const o = b.ours;
  const row = (name: string, backend: string, x: RunFigures) => [name, backend, f(x.loadSeconds, 2), f(x.ttftMs, 0), f(x.prefillTokensPerSecond), f(x.decodeTokensPerSecond, 2)];
  return [
    `In headless Chromium ${b.chromium ?? ''} (WebGPU adapter: ${b.adapter}), ${model}: tabserve in a Worker on WebGPU, wllama in the same page on the`,
    `same GGUF and the same ${o.promptTokens}-token English prompt (its rates are llama.cpp's own timings). Ratios are tabserve / wllama.`,
    '',
    ...table(
      ['runtime', 'backend', 'load s', 'TTFT ms', 'prefill tok/s', 'decode tok/s', 'prefill ratio', 'decode ratio'],
      [
        [...row('tabserve', 'webgpu', o), '-', '-'],
        ...b.peers.map((p) =>
          p.figures
            ? [...row('wllama', p.name.replace(/^wllama /, ''), p.figures), f(o.prefillTokensPerSecond / p.figures.prefillTokensPerSecond, 2), f(o.decodeTokensPerSecond / p.figures.decodeTokensPerSecond, 2)]
            : ['wllama', `${p.name.replace(/^wllama /, '')}: unavailable: ${p.error}`, '-', '-', '-', '-', '-', '-'],
        ),
      ],
    ),
  ];
}
