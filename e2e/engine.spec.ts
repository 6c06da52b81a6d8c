import { spawnSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import type { EngineRunReply } from './fixtures/messages.ts';

const PROMPT = [1, 3, 300, 17, 42, 250, 9, 100, 4, 61];
const N = 24;

test('the engine in a Chromium Worker (URL + Range load) gives the same greedy tokens as in Node (Dawn)', async ({ page }) => {
  // Node: the CLI on the same file (it runs the engine on Dawn, with the private lavapipe here)
  const cli = spawnSync(process.execPath, ['bin/tabserve.js', 'generate', '--model', 'public/models/tabserve-test.gguf', '--prompt-ids', PROMPT.join(','), '--max-tokens', String(N), '--ignore-eos', '--json'], { encoding: 'utf8', timeout: 170_000 });
  expect(cli.status, cli.stderr).toBe(0);
  const node = JSON.parse(cli.stdout) as { tokens: number[] };

  await page.goto(`/e2e/fixtures/engine.html?ids=${PROMPT.join(',')}&n=${N}`);
  const reply: EngineRunReply = await page.evaluate(() => window.engineRun);
  if (reply.kind === 'error') throw new Error(reply.message);
  console.log(`chromium (${reply.info.vendor} ${reply.info.architecture}, f16 ${reply.info.f16}): ${reply.tokens.join(' ')}`);
  expect(reply.inWorker).toBe(true);
  expect(reply.total).toBeGreaterThan(1 << 20);
  expect(reply.loaded).toBe(reply.total);
  expect(reply.tokens).toHaveLength(N);
  expect(reply.tokens).toEqual(node.tokens);
});
