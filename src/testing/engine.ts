/**
 * One small engine for a GPU test file: a llama model of the built-in vocabulary (q8_0, 128 wide, GQA), loaded
 * on the test adapter before the file's tests and unloaded after them.
 *   const t = testEngine('ahead llama builtin');  // in the file's top level; then t.engine, t.tok, t.path in tests
 */
import { afterAll, beforeAll } from 'vitest';
import { Engine, type LoadOptions } from '../engine/engine.ts';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { makeModel } from './models.ts';

export interface TestEngine {
  gpu: Gpu;
  engine: Engine;
  tok: Tokenizer;
  path: string; // the model file
}

export function testEngine(name: string, load: LoadOptions = { contextTokens: 256 }): TestEngine {
  const t = {} as TestEngine; // filled before the first test
  beforeAll(async () => {
    t.gpu = await openTestGpu();
    t.path = makeModel({ name, args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] });
    t.engine = await Engine.load(t.gpu, await fileSource(t.path), load);
    t.tok = tokenizerFromGguf(t.engine.metadata);
  });
  afterAll(() => {
    t.engine?.unload();
    t.gpu?.device.destroy();
  });
  return t;
}
