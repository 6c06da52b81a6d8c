// The chat data's pure helpers: titles, request messages, stats text, settings checks, stored-record repair.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  formatStats,
  newConversation,
  parseConversation,
  parseSettings,
  relativeTime,
  requestMessages,
  settingsFromForm,
  settingsToForm,
  sortConversations,
  titleFrom,
  withMessages,
  type ChatMessage,
} from './conversations.ts';

describe('titles and conversations', () => {
  it('titles a conversation after its first user message, on one line, cut to 60 characters', () => {
    expect(titleFrom([])).toBe('New chat');
    expect(titleFrom([{ role: 'user', content: '  ' }, { role: 'user', content: 'What is\n  a GGUF file?' }])).toBe('What is a GGUF file?');
    const long = titleFrom([{ role: 'user', content: 'word '.repeat(40) }]);
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long.endsWith('word…')).toBe(true);
  });

  it('updates title and time with the messages, and sorts newest first', () => {
    const c = newConversation(1000, 'a');
    expect(c).toEqual({ id: 'a', title: 'New chat', createdAt: 1000, updatedAt: 1000, messages: [] });
    const d = withMessages(c, [{ role: 'user', content: 'Hi' }], 2000);
    expect(d).toMatchObject({ title: 'Hi', createdAt: 1000, updatedAt: 2000 });
    expect(c.messages).toEqual([]); // not changed in place
    expect(sortConversations([c, d, newConversation(1500, 'b')]).map((x) => x.updatedAt)).toEqual([2000, 1500, 1000]);
    expect(newConversation().id).not.toBe(newConversation().id);
  });
});

describe('requestMessages', () => {
  const messages: ChatMessage[] = [
    { role: 'user', content: 'a' },
    { role: 'assistant', content: '', error: 'The model is still loading — wait a moment and resend.' },
    { role: 'user', content: 'b' },
    { role: 'assistant', content: 'partial', finishReason: 'stopped' },
  ];
  it('puts the system prompt first when not blank and skips answers with no text', () => {
    expect(requestMessages('Be brief.', messages)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
      { role: 'assistant', content: 'partial' },
    ]);
    expect(requestMessages(' \n', messages)[0]).toEqual({ role: 'user', content: 'a' });
  });
});

describe('formatStats and relativeTime', () => {
  it('formats the stats line', () => {
    expect(formatStats({ ttftMs: 120.4, tokensPerSecond: 14.24, completionTokens: 48, promptTokens: 9 })).toBe('TTFT 120 ms · 14.2 tok/s · 48 tokens');
    expect(formatStats({ ttftMs: 5, tokensPerSecond: 0, completionTokens: 1, promptTokens: 9 })).toBe('TTFT 5 ms · 0.0 tok/s · 1 token');
  });
  it('says how long ago', () => {
    const now = 10 * 86_400_000;
    expect(relativeTime(now - 10_000, now)).toBe('just now');
    expect(relativeTime(now + 5_000, now)).toBe('just now');
    expect(relativeTime(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(relativeTime(now - 2 * 86_400_000, now)).toBe('2 d ago');
    expect(relativeTime(0, now)).toBe(new Date(0).toLocaleDateString());
  });
});

describe('settings', () => {
  const form = settingsToForm(DEFAULT_SETTINGS);

  it('round-trips through the form, empty optional fields meaning off', () => {
    expect(form).toEqual({ system: '', temperature: '0.7', top_p: '0.95', top_k: '', max_tokens: '512', seed: '' });
    expect(settingsFromForm(form)).toEqual({ ok: true, settings: DEFAULT_SETTINGS });
    expect(settingsFromForm({ ...form, system: 'S', top_k: ' 40 ', seed: '-3', temperature: '0' })).toEqual({
      ok: true,
      settings: { ...DEFAULT_SETTINGS, system: 'S', top_k: 40, seed: -3, temperature: 0 },
    });
  });

  it('names every field out of range', () => {
    const r = settingsFromForm({ system: '', temperature: '2.5', top_p: '0', top_k: '1.5', max_tokens: '', seed: 'abc' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['max_tokens', 'seed', 'temperature', 'top_k', 'top_p']);
    expect(r.errors.top_p).toBe('top_p must be more than 0 and at most 1');
    expect(settingsFromForm({ ...form, max_tokens: '0' }).ok).toBe(false);
    expect(settingsFromForm({ ...form, top_k: '0' }).ok).toBe(false);
    expect(settingsFromForm({ ...form, seed: String(2 ** 53) }).ok).toBe(false);
    expect(settingsFromForm({ ...form, top_p: '1', temperature: '2', max_tokens: '1', top_k: '1' }).ok).toBe(true);
  });

  it('repairs stored settings field by field', () => {
    expect(parseSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings({ system: 'x', temperature: 9, top_p: 0.5, top_k: null, seed: 4, max_tokens: 'many' })).toEqual({ ...DEFAULT_SETTINGS, system: 'x', top_p: 0.5, seed: 4 });
    expect(parseSettings({ max_tokens: null }).max_tokens).toBe(512);
  });
});

describe('parseConversation', () => {
  it('keeps good records and the good messages of damaged ones', () => {
    const good = { id: 'a', title: 'T', createdAt: 1, updatedAt: 2, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo', stats: { ttftMs: 1, tokensPerSecond: 2, completionTokens: 3, promptTokens: 4 }, finishReason: 'stop' }] };
    expect(parseConversation(good)).toEqual(good);
    expect(parseConversation({ id: 'b', messages: [{ role: 'tool', content: 'x' }, { role: 'user', content: 'Q' }, null, { role: 'assistant', content: 'A', stats: 'bad', error: 'E' }] })).toEqual({
      id: 'b',
      title: 'Q',
      createdAt: 0,
      updatedAt: 0,
      messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A', error: 'E' }],
    });
    for (const bad of [null, 'x', [], { id: '', messages: [] }, { id: 'c' }]) expect(parseConversation(bad)).toBeNull();
  });
});
