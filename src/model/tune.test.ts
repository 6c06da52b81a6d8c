import { describe, expect, test } from 'vitest';
import { TUNE_LAYOUTS, chooseLayout, layoutName } from './tune.ts';

describe('chooseLayout', () => {
  const t = (ms: number[]) => ms.map((v, i) => ({ layout: TUNE_LAYOUTS[i], ms: v }));

  test('the fastest candidate, where it beats the reference by more than the margin', () => {
    expect(chooseLayout(t([10, 9.5, 8, 12]))).toEqual(TUNE_LAYOUTS[2]);
    expect(chooseLayout(t([10, 9.69]))).toEqual(TUNE_LAYOUTS[1]); // 3.1% faster
  });

  test('the reference (the first) where none beats it by the margin: noise does not flip the choice', () => {
    expect(chooseLayout(t([10, 9.8, 9.75]))).toEqual(TUNE_LAYOUTS[0]);
    expect(chooseLayout(t([10, 11, 12]))).toEqual(TUNE_LAYOUTS[0]);
    expect(chooseLayout(t([10, 9.5]), 0.1)).toEqual(TUNE_LAYOUTS[0]);
    expect(chooseLayout(t([10, 8.9]), 0.1)).toEqual(TUNE_LAYOUTS[1]);
  });

  test('no timings throws', () => {
    expect(() => chooseLayout([])).toThrow(/no timings/);
  });
});

test('layoutName', () => {
  expect(TUNE_LAYOUTS.map(layoutName)).toEqual(['default', '2 decode rows', '32 lanes', '32 lanes, 2 decode rows', '16 lanes', '16 lanes, 2 decode rows']);
  expect(layoutName({ prefillRows: 4 })).toBe('4 prefill rows');
});
