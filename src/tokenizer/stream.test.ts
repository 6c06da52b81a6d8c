/**
 * TextStream: text comes out as soon as it is complete, characters split over tokens are held back,
 * and the pieces joined equal tokenizer.decode() of all ids.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { openGgufFile } from '../gguf/node_file.ts';
import { builtinVocab } from '../model/builtin_vocab.ts';
import { vocabFile } from '../testing/paths.ts';
import { TextStream } from './stream.ts';
import { TEST_STRINGS } from './test_strings.ts';
import { tokenizerFromGguf, type DecodeOptions, type Tokenizer } from './tokenizer.ts';

const spm = tokenizerFromGguf(builtinVocab());

/** What each push returns, then what flush returns. */
function run(tok: Tokenizer, ids: number[], opts?: DecodeOptions): { pushed: string[]; flushed: string } {
  const stream = new TextStream(tok, opts);
  return { pushed: ids.map((id) => stream.push(id)), flushed: stream.flush() };
}

describe('TextStream', () => {
  test('an emoji spelled with four byte-fallback tokens comes out with its last byte', () => {
    const ids = spm.encode('hi 🦙!');
    expect(ids.map((id) => spm.tokenText(id))).toEqual(['▁hi', '▁', '<0xF0>', '<0x9F>', '<0xA6>', '<0x99>', '!']);
    expect(run(spm, ids)).toEqual({ pushed: ['hi', ' ', '', '', '', '🦙', '!'], flushed: '' });
  });

  test('CJK characters arrive whole', () => {
    const { pushed } = run(spm, spm.encode('中文'));
    expect(pushed.filter((p) => p !== '')).toEqual(['中', '文']);
  });

  test('SentencePiece: the dummy-prefix space is dropped at the start and after special tokens', () => {
    const ids = spm.encode('<|im_start|>user\nhello world<|im_end|>', { special: true });
    expect(run(spm, ids).pushed.join('')).toBe('<|im_start|>user\nhello world<|im_end|>');
    expect(run(spm, ids, { skipSpecial: true }).pushed).toEqual(['', 'user', '\n', 'hello', ' world', '']);
    const words = spm.encode('hello world');
    expect(run(spm, words).pushed).toEqual(['hello', ' world']);
    expect(run(spm, words, { continues: true }).pushed).toEqual([' hello', ' world']); // a continuation keeps it
  });

  test('flush turns an unfinished character into U+FFFD and starts over', () => {
    const ids = spm.encode('🦙').slice(0, 3); // '▁' and two of four bytes
    const stream = new TextStream(spm);
    expect(ids.map((id) => stream.push(id)).join('')).toBe('');
    expect(stream.flush()).toBe('\uFFFD');
    expect(stream.push(spm.encode('hello')[0])).toBe('hello');
  });

  describe('joined output equals decode() on every test string', () => {
    const vocabs: [string, () => Promise<Tokenizer>][] = [
      ['builtin', async () => spm],
      ['llama-spm', async () => tokenizerFromGguf((await openGgufFile(vocabFile('llama-spm'))).metadata)],
      ['qwen2', async () => tokenizerFromGguf((await openGgufFile(vocabFile('qwen2'))).metadata)],
    ];
    for (const [name, load] of vocabs) {
      describe(name, () => {
        let tok: Tokenizer;
        beforeAll(async () => {
          tok = await load();
        });
        test('plain, skipSpecial, continues', () => {
        for (const opts of [{}, { skipSpecial: true }, { continues: true }] as DecodeOptions[]) {
          for (const s of TEST_STRINGS) {
            const ids = tok.encode(s, { special: true, addSpecial: true });
            const { pushed, flushed } = run(tok, ids, opts);
            const whole = tok.decode(ids, opts);
            expect(pushed.join('') + flushed, JSON.stringify(s)).toBe(whole);
            // a piece never ends in half a surrogate pair and shows U+FFFD only where decode() does
            for (const p of pushed) expect(/[\uD800-\uDBFF]$/.test(p)).toBe(false);
            if (!whole.includes('\uFFFD')) expect(pushed.some((p) => p.includes('\uFFFD'))).toBe(false);
          }
        }
        });
      });
    }
  });
});
