import { describe, expect, test } from 'vitest';
import { DEFAULT_SAMPLING, MAX_STOP_STRINGS, SamplingParamError, validateSampling } from './params.ts';

const V = 1000;

/** The error validateSampling throws for `body`, which must be a SamplingParamError. */
function errorOf(body: unknown, opts = {}): SamplingParamError {
  try {
    validateSampling(body, V, opts);
  } catch (e) {
    if (e instanceof SamplingParamError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('validateSampling', () => {
  test('an empty body gives the defaults; null means "not given"; unknown fields are ignored', () => {
    expect(validateSampling({}, V)).toEqual(DEFAULT_SAMPLING);
    const nulls = Object.fromEntries(Object.keys(DEFAULT_SAMPLING).map((k) => [k, null]));
    expect(validateSampling({ ...nulls, max_completion_tokens: null, model: 'x', messages: [], stream: true }, V)).toEqual(DEFAULT_SAMPLING);
    expect(DEFAULT_SAMPLING).toMatchObject({ temperature: 1, top_k: 0, top_p: 1, min_p: 0, repetition_penalty: 1, penalty_last_n: 64 });
  });

  test('reads every field under its OpenAI name', () => {
    const p = validateSampling(
      {
        temperature: 0.7,
        top_k: 40,
        top_p: 0.9,
        min_p: 0.05,
        repetition_penalty: 1.1,
        frequency_penalty: 0.5,
        presence_penalty: -0.5,
        penalty_last_n: -1,
        logit_bias: { '50': -100, '7': 2.5 },
        seed: -12,
        logprobs: true,
        top_logprobs: 20,
        min_tokens: 3,
        ignore_eos: true,
        stop: ['\n\n', '###', '###'],
        stop_token_ids: [2, 2, 5],
        max_tokens: 64,
      },
      V,
    );
    expect(p).toEqual({
      temperature: 0.7,
      top_k: 40,
      top_p: 0.9,
      min_p: 0.05,
      repetition_penalty: 1.1,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      penalty_last_n: -1,
      logit_bias: { 50: -100, 7: 2.5 },
      seed: -12,
      logprobs: true,
      top_logprobs: 20,
      min_tokens: 3,
      ignore_eos: true,
      stop: ['\n\n', '###'],
      stop_token_ids: [2, 5],
      max_tokens: 64,
    });
    expect(Object.isFrozen(p)).toBe(true);
  });

  test('conveniences: stop as one string, top_k -1 = off, empty stop strings dropped, max_completion_tokens wins', () => {
    expect(validateSampling({ stop: 'END' }, V).stop).toEqual(['END']);
    expect(validateSampling({ top_k: -1 }, V).top_k).toBe(0);
    expect(validateSampling({ stop: ['', 'x'] }, V).stop).toEqual(['x']);
    expect(validateSampling({ max_tokens: 10, max_completion_tokens: 20 }, V).max_tokens).toBe(20);
    expect(validateSampling({ temperature: 0, top_p: 1, min_p: 1, frequency_penalty: -2, presence_penalty: 2 }, V)).toMatchObject({ temperature: 0, min_p: 1 });
  });

  test('legacy /v1/completions logprobs is an integer count of alternatives', () => {
    expect(validateSampling({ logprobs: 5 }, V, { legacyLogprobs: true })).toMatchObject({ logprobs: true, top_logprobs: 5 });
    expect(validateSampling({ logprobs: 0 }, V, { legacyLogprobs: true })).toMatchObject({ logprobs: true, top_logprobs: 0 });
    expect(validateSampling({}, V, { legacyLogprobs: true })).toMatchObject({ logprobs: false, top_logprobs: 0 });
    expect(errorOf({ logprobs: true }, { legacyLogprobs: true }).param).toBe('logprobs');
    expect(errorOf({ logprobs: 21 }, { legacyLogprobs: true }).param).toBe('logprobs');
  });

  // [body, param named in the error, a fragment of the message]
  const bad: [Record<string, unknown>, string, string][] = [
    [{ temperature: -0.1 }, 'temperature', '[0, inf)'],
    [{ temperature: '0.7' }, 'temperature', 'must be a number'],
    [{ temperature: Number.NaN }, 'temperature', 'must be a number'],
    [{ top_p: 0 }, 'top_p', '(0, 1]'],
    [{ top_p: 1.01 }, 'top_p', '(0, 1]'],
    [{ top_k: 2.5 }, 'top_k', 'integer'],
    [{ top_k: -2 }, 'top_k', '[-1,'],
    [{ min_p: 1.5 }, 'min_p', '[0, 1]'],
    [{ repetition_penalty: 0 }, 'repetition_penalty', '(0, inf)'],
    [{ frequency_penalty: 2.5 }, 'frequency_penalty', '[-2, 2]'],
    [{ presence_penalty: -3 }, 'presence_penalty', '[-2, 2]'],
    [{ penalty_last_n: -2 }, 'penalty_last_n', '[-1,'],
    [{ logit_bias: [1, 2] }, 'logit_bias', 'object'],
    [{ logit_bias: { abc: 1 } }, 'logit_bias', 'token ids'],
    [{ logit_bias: { '-1': 1 } }, 'logit_bias', 'token ids'],
    [{ logit_bias: { '1000': 1 } }, 'logit_bias', 'outside the vocabulary [0, 1000)'],
    [{ logit_bias: { '5': 101 } }, 'logit_bias', '[-100, 100]'],
    [{ logit_bias: { '5': '1' } }, 'logit_bias', 'must be a number'],
    [{ seed: 1.5 }, 'seed', 'integer'],
    [{ seed: '42' }, 'seed', 'integer'],
    [{ logprobs: 'yes' }, 'logprobs', 'boolean'],
    [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs', '[0, 20]'],
    [{ top_logprobs: 5 }, 'top_logprobs', 'needs logprobs: true'],
    [{ logprobs: false, top_logprobs: 1 }, 'top_logprobs', 'needs logprobs'],
    [{ min_tokens: -1 }, 'min_tokens', '[0,'],
    [{ min_tokens: 10, max_tokens: 5 }, 'min_tokens', 'must not exceed max_tokens'],
    [{ ignore_eos: 1 }, 'ignore_eos', 'boolean'],
    [{ stop: 5 }, 'stop', 'string or an array'],
    [{ stop: ['a', 7] }, 'stop', 'only strings'],
    [{ stop: Array.from({ length: MAX_STOP_STRINGS + 1 }, (_, i) => `s${i}`) }, 'stop', `at most ${MAX_STOP_STRINGS}`],
    [{ stop_token_ids: 3 }, 'stop_token_ids', 'array'],
    [{ stop_token_ids: [3, 1000] }, 'stop_token_ids', 'outside the vocabulary'],
    [{ stop_token_ids: [1.5] }, 'stop_token_ids', 'integer token id'],
    [{ max_tokens: 1.5 }, 'max_tokens', 'integer'],
    [{ max_tokens: 0 }, 'max_tokens', '[1,'],
    [{ max_tokens: '10' }, 'max_tokens', 'integer'],
    [{ max_completion_tokens: -5 }, 'max_completion_tokens', '[1,'],
  ];
  test.each(bad)('%j is rejected naming %s', (body, param, fragment) => {
    const e = errorOf(body);
    expect(e.param).toBe(param);
    expect(e.message).toContain(fragment);
    expect(e.message).toContain(param);
  });

  test('a body that is not an object names no param', () => {
    for (const body of [null, 'x', [], 3]) expect(errorOf(body).param).toBeNull();
  });
});
