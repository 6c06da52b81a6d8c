/**
 * WGSL built-ins that need a language feature an adapter may lack stay in the kernels used only where it
 * exists: packed_4x8_integer_dot_product (GpuInfo.int8Dot) only in matmul_q8.wgsl and quantize_q8.wgsl, so
 * that every other kernel, and the engine on its f32 path, builds anywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const SHADERS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shaders');
const INT8_ONLY = ['matmul_q8.wgsl', 'quantize_q8.wgsl'];
const PACKED_BUILTINS = /\b(dot4I8Packed|dot4U8Packed|pack4xI8|pack4xU8|pack4xI8Clamp|pack4xU8Clamp|unpack4xI8|unpack4xU8)\s*\(/;

test('only the integer-dot kernels call the packed_4x8_integer_dot_product built-ins', () => {
  const files = readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl'));
  expect(files.length).toBeGreaterThan(15);
  const code = (f: string) => readFileSync(join(SHADERS, f), 'utf8').replace(/\/\/.*$/gm, ''); // comments may name them
  const offenders = files.filter((f) => !INT8_ONLY.includes(f) && PACKED_BUILTINS.test(code(f)));
  expect(offenders).toEqual([]);
  expect(PACKED_BUILTINS.test(code('matmul_q8.wgsl'))).toBe(true); // the pattern finds a call
});
