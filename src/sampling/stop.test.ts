import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../util/rng.ts';
import { StopMatcher } from './stop.ts';

/** Pushes the pieces in order; returns everything emitted (plus flush when not stopped) and whether it stopped. */
function run(stops: string[], pieces: string[]): { out: string; stopped: boolean; emits: string[] } {
  const m = new StopMatcher(stops);
  const emits: string[] = [];
  for (const p of pieces) {
    const r = m.push(p);
    emits.push(r.emit);
    if (r.stopped) return { out: emits.join(''), stopped: true, emits };
  }
  emits.push(m.flush());
  return { out: emits.join(''), stopped: false, emits };
}

describe('StopMatcher', () => {
  test('without stop strings every piece passes straight through', () => {
    expect(run([], ['Hel', 'lo', ' world']).emits).toEqual(['Hel', 'lo', ' world', '']);
  });

  test('a stop inside one piece cuts right before it', () => {
    expect(run(['END'], ['abcENDdef'])).toMatchObject({ out: 'abc', stopped: true });
    expect(run(['END'], ['END'])).toMatchObject({ out: '', stopped: true });
  });

  test('a stop spanning two pieces is held back and cut exactly', () => {
    const r = run(['\n\nUser:'], ['Sure.', '\n\nUs', 'er: hi']);
    expect(r).toMatchObject({ out: 'Sure.', stopped: true });
    expect(r.emits).toEqual(['Sure.', '', '']);
  });

  test('a stop spanning three pieces is cut exactly and never emitted in part', () => {
    const r = run(['<|end|>'], ['ok<', '|en', 'd|>tail']);
    expect(r).toMatchObject({ out: 'ok', stopped: true });
    expect(r.emits).toEqual(['ok', '', '']);
  });

  test('a false start is released as soon as it cannot be a stop; nothing is lost', () => {
    const m = new StopMatcher(['<|end|>']);
    expect(m.push('a<|e')).toEqual({ emit: 'a', stopped: false });
    expect(m.pending).toBe('<|e');
    expect(m.push('njoy')).toEqual({ emit: '<|enjoy', stopped: false });
    expect(m.push('<|')).toEqual({ emit: '', stopped: false });
    expect(m.flush()).toBe('<|');
  });

  test('a held partial match that restarts inside itself (stop "aab", text "aaab")', () => {
    expect(run(['aab'], ['a', 'a', 'a', 'b', 'c'])).toMatchObject({ out: 'a', stopped: true });
    expect(run(['aab'], ['a', 'a', 'a', 'c'])).toMatchObject({ out: 'aaac', stopped: false });
  });

  test('the stop that completes first wins, whatever the chunking', () => {
    // "\n" completes at 2, "#\naa" only at 4: cut before "\n".
    for (const pieces of [['#\naa'], ['#', '\n', 'a', 'a'], ['#\n', 'aa']]) {
      expect(run(['#\naa', '\n'], pieces)).toMatchObject({ out: '#', stopped: true });
    }
  });

  test('overlapping stops "ab" and "bc": the first to complete wins', () => {
    expect(run(['ab', 'bc'], ['xabc'])).toMatchObject({ out: 'x', stopped: true });
    expect(run(['bc', 'ab'], ['xa', 'bc'])).toMatchObject({ out: 'x', stopped: true });
    expect(run(['ab', 'bc'], ['xb', 'c'])).toMatchObject({ out: 'x', stopped: true });
    expect(run(['ab', 'bc'], ['x', 'b', 'b', 'c'])).toMatchObject({ out: 'xb', stopped: true });
    const m = new StopMatcher(['ab', 'bc']);
    m.push('za');
    m.push('bc');
    expect(m.matched).toBe('ab');
  });

  test('a stop inside another: the first to complete cuts; completing together, the longer one cuts', () => {
    expect(run(['###', '#'], ['a#', '##'])).toMatchObject({ out: 'a', stopped: true });
    expect(run(['b##', '##'], ['ab##'])).toMatchObject({ out: 'a', stopped: true });
    expect(run(['b##', '#'], ['ab#'])).toMatchObject({ out: 'ab', stopped: true });
  });

  test('after stopping, pushes emit nothing and flush is empty', () => {
    const m = new StopMatcher(['.']);
    expect(m.push('one. two')).toEqual({ emit: 'one', stopped: true });
    expect(m.stopped).toBe(true);
    expect(m.push('more')).toEqual({ emit: '', stopped: true });
    expect(m.flush()).toBe('');
  });

  test('unicode: stops made of multi-unit characters split across pieces', () => {
    expect(run(['🛑stop'], ['go 🛑', 'st', 'op now'])).toMatchObject({ out: 'go ', stopped: true });
    expect(run(['。'], ['日本語', '。次'])).toMatchObject({ out: '日本語', stopped: true });
  });

  test('random texts and chunkings: output is the text before the first stop to complete, never containing a stop', () => {
    const rng = mulberry32(9);
    const alphabet = 'ab#\n';
    const pick = (n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
    for (let trial = 0; trial < 3000; trial++) {
      const stops = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => pick(1 + Math.floor(rng() * 4)));
      const text = pick(Math.floor(rng() * 40));
      const pieces: string[] = [];
      for (let at = 0; at < text.length; ) {
        const len = Math.floor(rng() * 5); // empty pieces too (a token may decode to '')
        pieces.push(text.slice(at, at + len));
        at += len;
      }
      // Oracle: the occurrence ending first, ties to the one starting first (each stop's first occurrence).
      const hits = stops.map((s) => [text.indexOf(s), s.length]).filter(([at]) => at >= 0);
      hits.sort((a, b) => a[0] + a[1] - (b[0] + b[1]) || a[0] - b[0]);
      const r = run(stops, pieces);
      if (hits.length > 0) expect(r).toMatchObject({ out: text.slice(0, hits[0][0]), stopped: true });
      else expect(r).toMatchObject({ out: text, stopped: false });
      for (const s of stops) expect(r.out.includes(s)).toBe(false);
    }
  });
});
