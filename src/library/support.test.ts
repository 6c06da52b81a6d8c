import { expect, test } from 'vitest';
import { GgmlType } from '../gguf/ggml.ts';
import { quantize } from '../gguf/quant.ts';
import { blobSource, parseGguf, type GgufHeader } from '../gguf/source.ts';
import { meta, writeGguf } from '../gguf/writer.ts';
import { BUILTIN_MODEL, CATALOG, catalogEntry, catalogEntryForUrl } from './catalog.ts';
import { idFromUrl } from './ids.ts';
import { SUPPORTED_TYPES, archProblem, baseType, magicProblem, quantFromFileName, quantProblem, summarizeHeader } from './support.ts';

test('the supported types and architectures are the engine lists', () => {
  expect(SUPPORTED_TYPES).toEqual(['F32', 'F16', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q4_K', 'Q5_K', 'Q6_K', 'BF16']);
  expect(archProblem('qwen3')).toBeUndefined();
  for (const a of ['phi3', 'gemma2', 'gemma3']) expect(archProblem(a)).toBeUndefined();
  expect(archProblem('mamba')).toBe('the mamba architecture is not supported (tabserve runs llama, qwen2, qwen3, phi3, gemma2 and gemma3)');
});

test('quant labels: K-quant mixes name their base type; supported ones have no problem', () => {
  expect(baseType('Q4_K_M')).toBe('Q4_K');
  expect(baseType('q5_k_s')).toBe('Q5_K');
  expect(baseType('Q6_K')).toBe('Q6_K');
  expect(baseType('fp16')).toBe('F16');
  for (const q of ['Q8_0', 'Q4_0', 'F16', 'BF16', 'F32', 'fp16', 'Q4_K_M', 'Q5_K_S', 'Q6_K', 'Q5_0']) expect(quantProblem(q)).toBeUndefined();
  expect(quantProblem('Q3_K_M')).toBe('Q3_K weights are not supported yet (tabserve runs F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K and BF16)');
  expect(quantProblem('IQ4_XS')).toMatch(/^IQ4_XS weights are not supported yet/);
});

test('quantFromFileName: the label in common file names, or nothing', () => {
  expect(quantFromFileName('qwen2.5-0.5b-instruct-q4_k_m.gguf')).toBe('Q4_K_M');
  expect(quantFromFileName('SmolLM2-135M-Instruct-Q8_0.gguf')).toBe('Q8_0');
  expect(quantFromFileName('Llama-3.2-1B-Instruct-IQ4_XS.gguf')).toBe('IQ4_XS');
  expect(quantFromFileName('model.Q5_K_S.gguf')).toBe('Q5_K_S');
  expect(quantFromFileName('tinyllama-f16.gguf')).toBe('F16');
  expect(quantFromFileName('tabserve-test.gguf')).toBeUndefined();
  expect(quantFromFileName('myq8_0model.gguf')).toBeUndefined();
});

test('magicProblem: GGUF passes; an HTML page or text is named', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  expect(magicProblem(enc('GGUF\x03\x00\x00\x00'))).toBeUndefined();
  expect(magicProblem(enc('<!DOCTYPE html><html>'))).toBe('it is not a GGUF model file (it is an HTML page)');
  expect(magicProblem(enc('Entry not found'))).toBe('it is not a GGUF model file (it is something that begins with "Entry not found")');
  expect(magicProblem(new Uint8Array([0, 1, 2]))).toBe('it is not a GGUF model file (it is no GGUF signature)');
  expect(magicProblem(enc('GGU'))).toBeDefined();
});

async function header(arch: string): Promise<GgufHeader> {
  const w = quantize(GgmlType.Q8_0, new Float32Array(64 * 4).fill(0.5));
  const chunks = writeGguf({ 'general.architecture': meta.str(arch) }, [
    { name: 'blk.0.attn_q.weight', dims: [64, 4], type: GgmlType.Q8_0, data: w },
    { name: 'blk.0.ffn_up.weight', dims: [64, 4], type: GgmlType.Q8_0, data: w },
    { name: 'output_norm.weight', dims: [64], type: GgmlType.F32, data: quantize(GgmlType.F32, new Float32Array(64)) },
  ]);
  return parseGguf(blobSource(new Blob(chunks as BlobPart[]), 'm.gguf'));
}

test('summarizeHeader: architecture and the weights type of a file tabserve runs', async () => {
  expect(summarizeHeader(await header('qwen2'))).toEqual({ arch: 'qwen2', quant: 'Q8_0' });
  expect(summarizeHeader(await header('falcon'))).toMatchObject({ arch: 'falcon', problem: expect.stringContaining('falcon architecture is not supported') });
});

test('summarizeHeader: an unsupported tensor type is named (a Q8_0 file whose output matrix is Q2_K)', async () => {
  const h = await header('llama');
  h.tensors.set('output.weight', { name: 'output.weight', dims: [256, 1000], type: GgmlType.Q2_K, offset: 0, bytes: 0 });
  expect(summarizeHeader(h)).toEqual({ arch: 'llama', quant: 'Q8_0', problem: 'Q2_K weights are not supported yet (tensor output.weight; tabserve runs F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K and BF16)' });
});

test('catalog: ids match the file names, Hugging Face file links, support follows quant and arch', () => {
  const ids = CATALOG.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const e of CATALOG) {
    expect(e.url).toMatch(/^https:\/\/huggingface\.co\/[^/]+\/[^/]+-GGUF\/resolve\/main\/[^/]+\.gguf$/);
    expect(idFromUrl(e.url)).toBe(e.id);
    expect(quantFromFileName(e.url.split('/').pop() ?? '')).toBe(e.quant);
    expect(e.supported).toBe(e.why === undefined);
    if (quantProblem(e.quant)) expect(e).toMatchObject({ supported: false, why: quantProblem(e.quant) });
    expect(catalogEntryForUrl(e.url)).toBe(e);
  }
  expect(CATALOG.filter((e) => !e.supported)).toEqual([]); // every catalog quant (Q8_0, Q4_0, Q4_K_M) runs
  expect(catalogEntry('tabserve-test')).toBe(BUILTIN_MODEL);
  expect(BUILTIN_MODEL).toMatchObject({ id: 'tabserve-test', url: '/models/tabserve-test.gguf', testModel: true, supported: true });
});
