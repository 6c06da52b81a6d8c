import { describe, expect, test } from 'vitest';
import { endsGeneration, endTokenMask } from './end_tokens.ts';
import { samplingParams } from './params.ts';

const EOG = [2, 7]; // e.g. EOS and EOT

describe('end tokens', () => {
  test('by default nothing is masked and EOS/EOT and stop_token_ids end generation', () => {
    const p = samplingParams({ stop_token_ids: [9] });
    expect(endTokenMask(p, EOG, 0)).toEqual([]);
    expect(endsGeneration(2, p, EOG, 0)).toBe('eog');
    expect(endsGeneration(7, p, EOG, 3)).toBe('eog');
    expect(endsGeneration(9, p, EOG, 0)).toBe('stop_token');
    expect(endsGeneration(5, p, EOG, 0)).toBeNull();
  });

  test('min_tokens masks EOS/EOT and stop_token_ids for the first min_tokens tokens', () => {
    const p = samplingParams({ min_tokens: 3, stop_token_ids: [9, 2] });
    for (const n of [0, 1, 2]) {
      expect(endTokenMask(p, EOG, n).sort()).toEqual([2, 7, 9]);
      expect(endsGeneration(2, p, EOG, n)).toBeNull();
      expect(endsGeneration(9, p, EOG, n)).toBeNull();
    }
    expect(endTokenMask(p, EOG, 3)).toEqual([]);
    expect(endsGeneration(9, p, EOG, 3)).toBe('stop_token');
  });

  test('ignore_eos masks EOS/EOT for the whole request; stop_token_ids still end it', () => {
    const p = samplingParams({ ignore_eos: true, stop_token_ids: [9] });
    for (const n of [0, 10, 10_000]) expect(endTokenMask(p, EOG, n).sort()).toEqual([2, 7]);
    expect(endsGeneration(2, p, EOG, 10)).toBeNull();
    expect(endsGeneration(9, p, EOG, 10)).toBe('stop_token');
    const both = samplingParams({ ignore_eos: true, min_tokens: 2, stop_token_ids: [9] });
    expect(endTokenMask(both, EOG, 0).sort()).toEqual([2, 7, 9]);
    expect(endTokenMask(both, EOG, 2).sort()).toEqual([2, 7]);
  });
});
