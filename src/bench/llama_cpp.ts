/**
 * The peer in the same run: llama.cpp through node-llama-cpp (a dev dependency) on the same GGUF, with the
 * same prompt and greedy decode. Its backend is the best prebuilt binary installed: the CPU build here;
 * Vulkan where `@node-llama-cpp/linux-x64-vulkan` is installed and a Vulkan GPU is present (`gpu` says which).
 * The backend reported is where the layers ran: llama.cpp's Vulkan build skips CPU devices such as lavapipe,
 * and then runs every layer on the CPU (gpuLayers 0), whatever build was loaded.
 * Loaded with import() so the CLI runs without dev dependencies; `unavailable` then says why.
 */
import { availableParallelism } from 'node:os';
import type { Token } from 'node-llama-cpp';
import type { BenchSampling, RunFigures } from './ours.ts';

export interface PeerFigures extends RunFigures {
  backend: string; // 'cpu (2 threads)', 'vulkan', ...
}

export async function measureLlamaCpp(path: string, prompt: number[], maxTokens: number, sampling?: BenchSampling): Promise<PeerFigures> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: 'auto', build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error, progressLogs: false });
  const devices = llama.gpu === false ? [] : await llama.getGpuDeviceNames();
  const onGpu = devices.length > 0;
  const threads = availableParallelism();
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: path, gpuLayers: onGpu ? 'max' : 0 });
  const loadSeconds = (performance.now() - t0) / 1000;
  try {
    const context = await model.createContext({ contextSize: prompt.length + maxTokens + 8, batchSize: prompt.length, threads, flashAttention: onGpu });
    try {
      const seq = context.getSequence();
      const times: number[] = [];
      const tokens: number[] = [];
      const start = performance.now();
      // node-llama-cpp's defaults are top_k 40, top_p 0.95: every control given
      const s = sampling ? { temperature: sampling.temperature, topP: sampling.topP, topK: sampling.topK, minP: 0, seed: 1 } : { temperature: 0 };
      for await (const token of seq.evaluate(prompt as Token[], s)) {
        times.push(performance.now());
        tokens.push(token);
        if (times.length >= maxTokens) break;
      }
      const ttftMs = times[0] - start;
      return {
        backend: model.gpuLayers > 0 ? `${llama.gpu} (${devices.join(', ')})` : `cpu (${threads} threads${llama.gpu ? `; ${llama.gpu} build, no GPU device` : ''})`,
        loadSeconds,
        ttftMs,
        prefillTokensPerSecond: prompt.length / (ttftMs / 1000),
        decodeTokensPerSecond: (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000),
        decodeTokens: times.length,
        tokens,
      };
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}
