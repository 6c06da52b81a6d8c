import { spawnSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import type { EngineRunReply } from './fixtures/messages.ts';

const PROMPT = [1, 3, 300, 17, 42, 250, 9, 100, 4, 61];
const N = 24;

/** The CLI on the same file: the engine on Dawn in Node (the private lavapipe here). */
function cli(args: string[]): { tokens: number[]; text: string } {
  const r = spawnSync(process.execPath, ['bin/tabserve.js', 'generate', '--model', 'public/models/tabserve-test.gguf', '--max-tokens', String(N), '--ignore-eos', '--json', ...args], { encoding: 'utf8', timeout: 170_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

async function browserRun(page: Page, query: string): Promise<Extract<EngineRunReply, { kind: 'done' }>> {
  await page.goto(`/e2e/fixtures/engine.html?ids=${PROMPT.join(',')}&n=${N}&${query}`);
  const reply: EngineRunReply = await page.evaluate(() => window.engineRun);
  if (reply.kind === 'error') throw new Error(reply.message);
  return reply;
}

// With f32 matmul inputs the two adapters agree to the last bits, so even seeded sampling gives the same
// tokens. By default Q8_0 / Q4_0 matmuls quantize their inputs to 8 bits: an input within an ulp of a rounding
// halfway point may round differently on the two, and sampling at temperature 1 can then part ways, so there
// only the greedy tokens are compared.
test('the engine in a Chromium Worker (URL + Range load) gives the same tokens as in Node (Dawn): greedy, and seeded sampling', async ({ page }) => {
  const text = ['--prompt', 'Hello world, this is a test'];
  const f32 = ['--f32-inputs'];
  const node = cli([...f32, '--prompt-ids', PROMPT.join(',')]);
  const nodeSampled = [cli([...f32, ...text, '--temperature', '1', '--seed', '7']), cli([...f32, ...text, '--temperature', '0.8', '--top-k', '40', '--top-p', '0.95', '--seed', '9'])];

  const reply = await browserRun(page, 'int8=0');
  console.log(`chromium (${reply.info.vendor} ${reply.info.architecture}, f16 ${reply.info.f16}, int8 dot ${reply.info.int8Dot}): ${reply.tokens.join(' ')}`);
  expect(reply.inWorker).toBe(true);
  expect(reply.total).toBeGreaterThan(1 << 20);
  expect(reply.loaded).toBe(reply.total);
  expect(reply.tokens).toHaveLength(N);
  expect(reply.tokens).toEqual(node.tokens);
  expect(reply.sampled).toEqual(nodeSampled.map(({ tokens, text }) => ({ tokens, text })));
  expect(reply.sampled[0].tokens).not.toEqual(reply.sampled[1].tokens);

  const greedy = await browserRun(page, 'sample=0'); // the default: integer dots where the adapter has them
  expect(greedy.tokens).toEqual(cli(['--prompt-ids', PROMPT.join(',')]).tokens);
});
