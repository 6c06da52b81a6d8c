// The pure parts of a chat turn: the request body, the statistics, and describeError on the error classes
// the SDK throws. streamAnswer itself runs against the real in-tab server in e2e/app.spec.ts.
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { answerStats, describeError, requestBody } from './chat_turn.ts';
import { DEFAULT_SETTINGS } from './conversations.ts';

describe('requestBody', () => {
  it('asks for a stream with usage and sends the messages as given', () => {
    const body = requestBody('m', [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }], DEFAULT_SETTINGS);
    expect(body).toEqual({ model: 'm', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }], temperature: 0.7, top_p: 0.95, max_tokens: 512, stream: true, stream_options: { include_usage: true } });
  });
});

describe('answerStats', () => {
  it('gives 0 tok/s when there is nothing to divide', () => {
    expect(answerStats({ start: 0, firstToken: 50, end: 50, completionTokens: 1, promptTokens: 2 })).toEqual({ ttftMs: 50, tokensPerSecond: 0, completionTokens: 1, promptTokens: 2 });
    expect(answerStats({ start: 0, firstToken: null, end: 80, completionTokens: 0, promptTokens: 2 }).ttftMs).toBe(80);
  });
  it('counts the tokens after the first over the time after the first', () => {
    expect(answerStats({ start: 0, firstToken: 200, end: 1200, completionTokens: 11, promptTokens: 0 }).tokensPerSecond).toBe(10);
  });
});

describe('describeError', () => {
  const api = (status: number | undefined, error: object, headers: Record<string, string> = {}) => APIError.generate(status, { error }, undefined, new Headers(headers));

  it('says what to do for each failure', () => {
    expect(describeError(api(503, { message: 'loading', code: 'model_loading' }))).toBe('The model is still loading — wait a moment and resend.');
    expect(describeError(api(503, { message: 'x' }))).toBe('The model is still loading — wait a moment and resend.');
    expect(describeError(api(429, { message: 'the server is busy', code: 'kv_cache_full' }))).toBe('The server is busy with other requests — wait a moment and resend.');
    expect(describeError(api(400, { message: 'This model maximum context length is 2048 tokens.', code: 'context_length_exceeded' }))).toBe(
      "The conversation is too long for this model's context: start a new conversation or lower max tokens.",
    );
    expect(describeError(api(400, { message: 'top_p must be in (0, 1]', param: 'top_p' }))).toBe('The server refused the request: top_p must be in (0, 1]. Check the settings, then resend.');
    expect(describeError(api(404, { message: 'The model `x` does not exist' }))).toMatch(/^The server does not have this model \(The model `x` does not exist\.\) Load the model/);
    expect(describeError(api(500, { message: 'the GPU device was lost', code: 'device_lost' }, { 'x-should-retry': 'false' }))).toBe('The model failed: the GPU device was lost. Reload the page to start it again.');
    expect(describeError(api(500, { message: 'internal error: boom' }))).toBe('The server failed: internal error: boom. Resend, or reload the page if it keeps happening.');
  });

  it('handles connection failures, aborts and anything else', () => {
    expect(describeError(new APIConnectionError({ message: 'Connection error.' }))).toMatch(/^Could not reach the model server/);
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/^Could not reach the model server/);
    expect(describeError(new APIUserAbortError())).toBe('Stopped.');
    expect(describeError(new Error('odd'))).toBe('Something went wrong: odd. Resend, or reload the page if it keeps happening.');
    expect(describeError('text')).toBe('Something went wrong: text. Resend, or reload the page if it keeps happening.');
  });
});
