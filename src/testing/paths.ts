/** Paths the Node test suites share: the project root, the CLI, and llama.cpp's models folder (npm run setup). */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'bin', 'tabserve.js');
export const LLAMA_MODELS = join(ROOT, '.cache', 'llama.cpp', 'models');

/** A real vocabulary GGUF from llama.cpp's sources, e.g. vocabFile('qwen2'). */
export function vocabFile(name: string): string {
  const p = join(LLAMA_MODELS, `ggml-vocab-${name}.gguf`);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run setup\``);
  return p;
}

export function tempDir(prefix = 'tabserve-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
