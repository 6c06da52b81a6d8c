/** The shared list of kernel checks (all_checks.ts) leaves no kernel out. */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { kernelCheckNames } from './all_checks.ts';

test('every *.check.ts has its kernel in the list; the integer-dot kernels only where int8Dot', () => {
  const files = readdirSync(dirname(fileURLToPath(import.meta.url))).filter((f) => f.endsWith('.check.ts')).map((f) => f.slice(0, -'.check.ts'.length));
  expect(files.length).toBeGreaterThan(10);
  expect([...kernelCheckNames({ int8Dot: true })].sort()).toEqual(files.sort());
  expect(kernelCheckNames({ int8Dot: false })).toEqual(kernelCheckNames({ int8Dot: true }).filter((k) => k !== 'quantize_q8' && k !== 'matmul_q8'));
});
