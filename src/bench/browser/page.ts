// The browser bench page: tabserve in a Worker on WebGPU, then wllama on the CPU (wasm) and on WebGPU, all on
// the model at ?model=URL with the same English prompt (its tokens counted by tabserve's tokenizer); leaves a BrowserBenchResult in window.benchResult
// for the Node driver (src/bench/browser.ts). Progress goes to the console.
import { measureWllama } from '../wllama.ts';
import type { BenchWorkerReply, BenchWorkerRequest, BrowserBenchResult, BrowserPeer } from './messages.ts';

declare global {
  interface Window {
    benchResult?: BrowserBenchResult;
  }
}

const q = new URLSearchParams(location.search);
const url = q.get('model') ?? '';
const promptTokens = Number(q.get('prompt') ?? 512);
const maxTokens = Number(q.get('max') ?? 128);
const peers = (q.get('peers') ?? 'cpu,webgpu').split(',').filter(Boolean);

function ours(): Promise<BenchWorkerReply> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise<BenchWorkerReply>((resolve) => {
    worker.onmessage = (e: MessageEvent<BenchWorkerReply>) => resolve(e.data);
    worker.onerror = (e) => resolve({ kind: 'error', message: e.message || 'the worker failed to start' });
    worker.postMessage({ url, promptTokens, maxTokens } satisfies BenchWorkerRequest);
  }).finally(() => worker.terminate());
}

async function main(): Promise<BrowserBenchResult> {
  console.log('bench: tabserve ...');
  const r = await ours();
  if (r.kind === 'error') return r;
  const prompt = r.ours.promptText ?? '';
  const results: BrowserPeer[] = [];
  for (const p of peers) {
    const gpu = p === 'webgpu';
    const threads = navigator.hardwareConcurrency || 1;
    console.log(`bench: wllama ${p} ...`);
    try {
      const f = await measureWllama(url, { text: prompt, tokens: r.ours.promptTokens }, maxTokens, { gpu, threads, banned: r.banned });
      results.push({ name: `wllama ${f.backend}`, figures: f });
    } catch (e) {
      results.push({ name: `wllama ${p}`, error: `${(e as Error).name}: ${(e as Error).message}`.split('\n')[0] });
    }
  }
  const adapter = [r.info.vendor, r.info.architecture, r.info.description].filter(Boolean).join(' / ');
  return { kind: 'done', adapter, userAgent: navigator.userAgent, ours: r.ours, peers: results };
}

main()
  .catch((e: Error): BrowserBenchResult => ({ kind: 'error', message: `${e.name}: ${e.message}` }))
  .then((r) => {
    window.benchResult = r;
    document.getElementById('log')!.textContent = JSON.stringify(r, null, 2);
  });
