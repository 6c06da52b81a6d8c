/** Generated test models for the engine tests: one file per argument list, written once per process. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../util/rng.ts';
import { runCli } from './cli.ts';
import { tempDir, vocabFile } from './paths.ts';

const dir = tempDir('tabserve-models-');

export interface ModelCase {
  name: string;
  args: string[]; // make-test-model options (no --out)
  vocab?: string; // llama.cpp vocab name for --vocab-from
  bos?: number; // BOS id put first in prompts
}

export function makeModel(c: ModelCase): string {
  const path = join(dir, `${c.name.replace(/\W+/g, '_')}.gguf`);
  if (existsSync(path)) return path;
  const r = runCli(['make-test-model', ...c.args, ...(c.vocab ? ['--vocab-from', vocabFile(c.vocab)] : []), '--out', path]);
  if (r.code !== 0) throw new Error(`make-test-model failed: ${r.stderr}`);
  return path;
}

/** `n` random ids below nVocab from `seed`, BOS first when given. */
export function randomPrompt(nVocab: number, n: number, seed: number, bos?: number): number[] {
  const rng = mulberry32(seed);
  const ids = Array.from({ length: n }, () => Math.floor(rng() * nVocab));
  if (bos !== undefined) ids[0] = bos;
  return ids;
}

export const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

/** Largest |a - b| over all positions and the vocabulary. */
export function maxAbsDiff(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let d = 0;
  for (let p = 0; p < a.length; p++) for (let t = 0; t < a[p].length; t++) d = Math.max(d, Math.abs(a[p][t] - b[p][t]));
  return d;
}

/** Largest over positions of max|a - b| / max|b|: an error relative to the size of b's logits. */
export function worstRelative(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let worst = 0;
  for (let p = 0; p < b.length; p++) {
    let d = 0;
    let m = 0;
    for (let t = 0; t < b[p].length; t++) {
      d = Math.max(d, Math.abs(a[p][t] - b[p][t]));
      m = Math.max(m, Math.abs(b[p][t]));
    }
    worst = Math.max(worst, d / m);
  }
  return worst;
}
