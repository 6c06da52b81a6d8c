import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf, GGUFValueType } from '@huggingface/gguf';
import { expect, test } from 'vitest';
import { GgmlType } from './ggml.ts';
import { openGgufFile, readTensorF32 } from './node_file.ts';
import { quantize } from './quant.ts';
import { meta, writeGguf } from './writer.ts';

test('a written file parses with @huggingface/gguf (an independent reader) and reads back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tabserve-gguf-'));
  const path = join(dir, 'w.gguf');
  const a = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
  const b = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
  writeFileSync(
    path,
    Buffer.concat(writeGguf(
      {
        'general.architecture': meta.str('llama'),
        'x.count': meta.u32(7),
        'x.ratio': meta.f32(0.5),
        'x.flag': meta.bool(true),
        'x.names': meta.strs(['a', 'ü', '']),
        'x.big': { type: GGUFValueType.UINT64, value: 2n ** 40n },
      },
      [
        { name: 'a', dims: [3, 2], type: GgmlType.F32, data: quantize(GgmlType.F32, a) },
        { name: 'b', dims: [64], type: GgmlType.Q8_0, data: quantize(GgmlType.Q8_0, b) },
      ],
    )),
  );
  const parsed = await gguf(path, { allowLocalFile: true });
  const md = parsed.metadata as Record<string, unknown>;
  expect(md.version).toBe(3);
  expect(md['x.count']).toBe(7);
  expect(md['x.ratio']).toBe(0.5);
  expect(md['x.flag']).toBe(true);
  expect(md['x.names']).toEqual(['a', 'ü', '']);
  expect(md['x.big']).toBe(2n ** 40n);
  expect(parsed.tensorInfos.map((t) => [t.name, t.shape.map(Number), t.dtype])).toEqual([
    ['a', [3, 2], GgmlType.F32],
    ['b', [64], GgmlType.Q8_0],
  ]);
  expect(Number(parsed.tensorDataOffset) % 32).toBe(0);
  const file = await openGgufFile(path);
  expect([...(await readTensorF32(file, 'a'))]).toEqual([...a]);
  const back = await readTensorF32(file, 'b');
  for (let i = 0; i < 64; i++) expect(Math.abs(back[i] - b[i])).toBeLessThan(0.01);
});

test('tensor data of the wrong size is refused', () => {
  expect(() => writeGguf({}, [{ name: 't', dims: [4], type: GgmlType.F32, data: new Uint8Array(12) }])).toThrow(/12 bytes, expected 16/);
});

test('a file that is not GGUF is a typed error naming the file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'tabserve-gguf-')), 'bad.gguf');
  writeFileSync(path, 'this is not a gguf file at all, just text');
  await expect(openGgufFile(path)).rejects.toThrow(/bad\.gguf: not a readable GGUF file \(.*magic/);
});
