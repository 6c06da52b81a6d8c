import { describe, expect, test } from 'vitest';
import { kvPageBytes, planKvPool } from './budget.ts';

const GiB = 2 ** 30;
const base = { nLayer: 24, nKvHead: 2, headDim: 64, pageSize: 16, maxBindingBytes: 128 * 2 ** 20, maxBufferBytes: 256 * 2 ** 20 };

describe('KV pool budget', () => {
  test('page bytes are f16 [pageSize][nKvHead][headDim]', () => {
    expect(kvPageBytes(2, 64, 16)).toBe(16 * 2 * 64 * 2);
    expect(kvPageBytes(8, 128, 32)).toBe(32 * 8 * 128 * 2);
  });

  test('as many pages as the tokens need, rounded up', () => {
    const p = planKvPool({ ...base, maxTokens: 8192 });
    expect(p.nPages).toBe(512);
    expect(p.bytesPerLayerBuffer).toBe(512 * 4096);
    expect(p.totalBytes).toBe(2 * 24 * 512 * 4096);
    expect(planKvPool({ ...base, maxTokens: 8193 }).nPages).toBe(513);
    expect(planKvPool({ ...base, maxTokens: 1 }).nPages).toBe(1);
  });

  test('capped by the binding and buffer limits', () => {
    const page = kvPageBytes(2, 64, 16); // 4 KiB
    const p = planKvPool({ ...base, maxTokens: 1e7, maxBindingBytes: 100 * page + 5, maxBufferBytes: GiB });
    expect(p.nPages).toBe(100);
    expect(p.bytesPerLayerBuffer).toBeLessThanOrEqual(100 * page + 5);
    expect(planKvPool({ ...base, maxTokens: 1e7, maxBindingBytes: GiB, maxBufferBytes: 70 * page }).nPages).toBe(70);
  });

  test('capped by the budget over all layers, K and V', () => {
    const page = kvPageBytes(2, 64, 16);
    const budgetBytes = 2 * 24 * 37 * page + page; // room for 37 pages per buffer, and a bit
    const p = planKvPool({ ...base, maxTokens: 1e6, budgetBytes });
    expect(p.nPages).toBe(37);
    expect(p.totalBytes).toBeLessThanOrEqual(budgetBytes);
    // the budget does not raise the count above what the tokens need
    expect(planKvPool({ ...base, maxTokens: 64, budgetBytes: GiB }).nPages).toBe(4);
  });

  test('throws clearly when not even one page fits', () => {
    const page = kvPageBytes(2, 64, 16);
    expect(() => planKvPool({ ...base, maxTokens: 100, maxBindingBytes: page - 1 })).toThrow(/not even one KV page .* maxStorageBufferBindingSize/);
    expect(() => planKvPool({ ...base, maxTokens: 100, maxBufferBytes: page - 4 })).toThrow(/maxBufferSize/);
    expect(() => planKvPool({ ...base, maxTokens: 100, budgetBytes: 2 * 24 * page - 1 })).toThrow(/KV budget/);
    expect(() => planKvPool({ ...base, maxTokens: 0 })).toThrow(/maxTokens/);
    expect(() => planKvPool({ ...base, headDim: 0, maxTokens: 10 })).toThrow(/headDim/);
  });
});
