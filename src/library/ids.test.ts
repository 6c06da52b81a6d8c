import { expect, test } from 'vitest';
import { idFromFileName, idFromUrl, normalizeModelUrl, uniqueId } from './ids.ts';

test('idFromUrl: the file name, lower case, without .gguf, query or fragment', () => {
  expect(idFromUrl('https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q8_0.gguf')).toBe('smollm2-135m-instruct-q8_0');
  expect(idFromUrl('https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q8_0.gguf?download=true#x')).toBe('qwen2.5-0.5b-instruct-q8_0');
  expect(idFromUrl('http://127.0.0.1:9000/range/My%20Model%20(v2).GGUF')).toBe('my-model-v2');
  expect(idFromUrl('/models/tabserve-test.gguf')).toBe('tabserve-test');
  expect(idFromUrl('https://example.com/')).toBe('model');
  expect(idFromUrl('https://example.com/bad%E0%A4%A.gguf')).toBe('bad-e0-a4-a');
});

test('idFromFileName: only [a-z0-9._-], no leading/trailing separators, at most 96 characters', () => {
  expect(idFromFileName('Disk-Model-Q8_0.gguf')).toBe('disk-model-q8_0');
  expect(idFromFileName('..hidden..gguf')).toBe('hidden');
  expect(idFromFileName('ünïcode name.gguf')).toBe('n-code-name');
  expect(idFromFileName(`${'a'.repeat(200)}.gguf`)).toHaveLength(96);
  expect(idFromFileName('.gguf')).toBe('model');
});

test('uniqueId: the first free of base, base-2, base-3, ...', () => {
  expect(uniqueId('m', new Set())).toBe('m');
  expect(uniqueId('m', new Set(['m', 'm-2']))).toBe('m-3');
});

test('normalizeModelUrl: a Hugging Face page link becomes the file link; other URLs stay', () => {
  expect(normalizeModelUrl(' https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/blob/main/Qwen3-0.6B-Q8_0.gguf ')).toBe('https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf');
  expect(normalizeModelUrl('https://example.com/blob/main/x.gguf')).toBe('https://example.com/blob/main/x.gguf');
  expect(normalizeModelUrl('/models/x.gguf', 'http://127.0.0.1:5173/app/')).toBe('http://127.0.0.1:5173/models/x.gguf');
  expect(() => normalizeModelUrl('not a url')).toThrow(/is not a URL/);
  expect(() => normalizeModelUrl('ftp://example.com/x.gguf')).toThrow(/not an http\(s\) link/);
});
