// Before the e2e suites: the models they load that `npm start` does not make. The OpenAI suite runs on a
// generated model with a real vocabulary (LLaMA's 32k SentencePiece one, from llama.cpp's sources fetched by
// `npm run setup`): small enough for SwiftShader, real enough that tokenizing and detokenizing matter.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, vocabFile } from '../src/testing/paths.ts';

export const E2E_MODEL = 'e2e-llama-spm';

export default function globalSetup(): void {
  const out = join(ROOT, 'public', 'models', `${E2E_MODEL}.gguf`);
  if (existsSync(out)) return;
  mkdirSync(join(ROOT, 'public', 'models'), { recursive: true });
  const args = ['make-test-model', '--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--layers', '2', '--heads', '4', '--kv-heads', '2', '--ff', '384', '--ctx', '1024'];
  const r = spawnSync(process.execPath, [CLI, ...args, '--vocab-from', vocabFile('llama-spm'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`e2e: making ${out} failed: ${r.stderr}`);
}
