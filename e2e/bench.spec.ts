import { spawnSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import type { BenchReport } from '../src/bench/report.ts';

// `tabserve bench --browser` starts its own Vite server and Chromium: tabserve in a Worker on WebGPU
// (SwiftShader here) and wllama in the same page, on the built-in test model with the same prompt.
test('tabserve bench --browser measures tabserve in a Worker and wllama in the same page, on the same prompt', async () => {
  test.setTimeout(300_000);
  const args = ['bench', '--model', 'public/models/tabserve-test.gguf', '--prompt-tokens', '24', '--max-tokens', '5', '--peer', 'none', '--browser', '--json'];
  const r = spawnSync(process.execPath, ['bin/tabserve.js', ...args], { encoding: 'utf8', timeout: 280_000 });
  expect(r.status, r.stderr).toBe(0);
  const report: BenchReport = JSON.parse(r.stdout);
  const b = report.models[0].browser!;
  if (b.kind === 'error') throw new Error(b.message);
  console.log(`chromium ${b.chromium} (${b.adapter}): tabserve decode ${b.ours.decodeTokensPerSecond.toFixed(1)} tok/s; ${b.peers.map((p) => `${p.name}: ${p.figures ? p.figures.decodeTokensPerSecond.toFixed(1) + ' tok/s' : p.error}`).join('; ')}`);
  expect(b.adapter).toMatch(/swiftshader|nvidia|amd|intel|apple/i);
  // an English prompt of whole words: 24 tokens or a few fewer, counted by tabserve's tokenizer
  expect(b.ours.promptText).toMatch(/^the quick brown/);
  expect(b.ours.promptTokens).toBeGreaterThan(18);
  expect(b.ours.promptTokens).toBeLessThanOrEqual(24);
  expect(b.ours.decodeTokens).toBe(5);
  expect(b.ours.decodeTokensPerSecond).toBeGreaterThan(0);
  expect(b.ours.loadMBPerSecond).toBeGreaterThan(0);
  // decode steps in the Worker: the median's host time on the step's path, and the next step encoded ahead
  expect(b.ours.hostMsMedian).toBeGreaterThan(0);
  expect(b.ours.aheadMsPerStep).toBeGreaterThan(0);
  expect(b.peers.map((p) => p.name.split(' ')[1])).toEqual(['wasm', expect.stringMatching(/^(webgpu|wasm)$/)]);
  // wllama on its CPU backend runs here; it checked that llama.cpp's tokenizer made the same number of tokens
  const cpu = b.peers[0].figures!;
  expect(b.peers[0].error).toBeUndefined();
  expect(cpu.decodeTokens).toBe(5);
  expect(cpu.prefillTokensPerSecond).toBeGreaterThan(0);
  expect(cpu.decodeTokensPerSecond).toBeGreaterThan(0);
  // its WebGPU backend either ran or says why not
  expect(Boolean(b.peers[1].figures) !== Boolean(b.peers[1].error)).toBe(true);
});
