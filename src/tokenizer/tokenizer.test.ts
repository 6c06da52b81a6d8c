/** The tokenizer's API on the built-in vocabulary and a small hand-made BPE vocabulary (no files). */
import { describe, expect, test } from 'vitest';
import { meta, type MetaEntry } from '../gguf/writer.ts';
import { builtinVocab } from '../model/builtin_vocab.ts';
import { PRE_NAMES, preTokenizer } from './pre.ts';
import { tokenizerFromGguf } from './tokenizer.ts';
import { BYTE_CHAR, llamaRegex } from './unicode.ts';

const spm = tokenizerFromGguf(builtinVocab());
const text = (ids: number[]) => ids.map((id) => spm.tokenText(id));

/** A tiny GPT-2-style vocabulary: the 256 byte characters, a few merges, and chat tokens. */
function tinyBpe(extra: Record<string, MetaEntry> = {}): Record<string, MetaEntry> {
  const merges = ['Ġ h', 'Ġh i', 'h i', 'Ġ w', 'o r', 'Ġw or'];
  const pieces = ['Ġh', 'Ġhi', 'hi', 'Ġw', 'or', 'Ġwor'];
  const tokens = [...BYTE_CHAR, ...pieces, '<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const types = tokens.map((_, i) => (i < 256 + pieces.length ? 1 : i === tokens.length - 1 ? 4 : 3));
  return {
    'tokenizer.ggml.model': meta.str('gpt2'),
    'tokenizer.ggml.pre': meta.str('qwen2'),
    'tokenizer.ggml.tokens': meta.strs(tokens),
    'tokenizer.ggml.token_type': meta.i32s(types),
    'tokenizer.ggml.merges': meta.strs(merges),
    'tokenizer.ggml.eos_token_id': meta.u32(tokens.indexOf('<|endoftext|>')),
    ...extra,
  };
}

describe('built-in SentencePiece vocabulary', () => {
  test('special ids and flags come from the metadata', () => {
    expect(spm.nVocab).toBeGreaterThan(1000);
    expect([spm.bos, spm.eos, spm.eot]).toEqual([1, 2, 4]);
    expect([spm.addBos, spm.addEos]).toEqual([true, false]);
    expect([1, 2, 3, 4].map((id) => spm.isControl(id))).toEqual([true, true, true, true]);
    expect(spm.isControl(300)).toBe(false);
    expect([spm.isEog(2), spm.isEog(4), spm.isEog(1)]).toEqual([true, true, false]);
  });

  test('encode adds the dummy space prefix, BOS only when asked', () => {
    expect(text(spm.encode('hello world'))).toEqual(['▁hello', '▁world']);
    expect(spm.encode('hello', { addSpecial: true })[0]).toBe(1);
    expect(spm.encode('')).toEqual([]);
    expect(spm.encode('', { addSpecial: true })).toEqual([1]);
  });

  test('special token texts are tokens only with special: true', () => {
    const s = '<|im_start|>user\nhi<|im_end|>';
    const parsed = spm.encode(s, { special: true });
    expect(parsed[0]).toBe(3);
    expect(parsed.at(-1)).toBe(4);
    expect(text(parsed)[1]).toBe('▁user'); // SentencePiece: a space prefix after each special token
    expect(spm.encode(s)).not.toContain(3);
    expect(spm.decode(spm.encode(s))).toBe(s);
    expect(spm.decode(parsed)).toBe(s);
    expect(spm.decode(parsed, { skipSpecial: true })).toBe('user\nhi');
  });

  test('characters outside the vocabulary fall back to byte tokens', () => {
    const ids = spm.encode('中');
    expect(text(ids)).toEqual(['▁', '<0xE4>', '<0xB8>', '<0xAD>']);
    expect([...spm.tokenBytes(ids[1])]).toEqual([0xe4]);
    expect(spm.decode(ids)).toBe('中');
    expect(spm.decode(ids.slice(0, 3))).toBe('\uFFFD'); // a cut character decodes to U+FFFD, never throws
  });

  test('lone surrogates and control characters do not throw', () => {
    for (const s of ['\uD800', 'a\uDC00b', '\uDC00\uD800', '\x00\x1b[0m', '\uFFFF']) {
      const ids = spm.encode(s, { special: true });
      expect(spm.decode(ids)).toBe(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
    }
  });

  test('decode: BOS rendered or skipped, the dummy-prefix space dropped unless the ids continue a text', () => {
    const ids = spm.encode('hello', { addSpecial: true });
    expect(spm.decode(ids)).toBe('<s>hello');
    expect(spm.decode(ids, { skipSpecial: true })).toBe('hello');
    expect(spm.decode(ids.slice(1))).toBe('hello');
    expect(spm.decode(ids.slice(1), { continues: true })).toBe(' hello');
    expect(spm.tokenText(ids[1])).toBe('▁hello');
    expect(new TextDecoder().decode(spm.tokenBytes(ids[1]))).toBe(' hello');
  });

  test('ids outside the vocabulary are a RangeError', () => {
    expect(() => spm.decode([spm.nVocab])).toThrow(RangeError);
    expect(() => spm.tokenText(-1)).toThrow(RangeError);
  });
});

describe('byte-level BPE', () => {
  const bpe = tokenizerFromGguf(tinyBpe());
  const pieces = (s: string, special = false) => bpe.encode(s, { special }).map((id) => bpe.tokenText(id));

  test('merges by rank within pre-tokenized words', () => {
    expect(pieces(' hi world')).toEqual(['Ġhi', 'Ġwor', 'l', 'd']);
    expect(pieces('hi')).toEqual(['hi']);
    expect(bpe.decode(bpe.encode(' hi world'))).toBe(' hi world');
  });

  test('end-of-turn tokens are found by text and made control tokens', () => {
    const imEnd = bpe.nVocab - 1; // user-defined in the metadata
    expect(bpe.eot).toBe(imEnd);
    expect(bpe.isControl(imEnd)).toBe(true);
    expect([...bpe.eog].sort()).toEqual([bpe.eos, imEnd].sort());
    expect(bpe.addBos).toBe(false);
    expect(pieces('<|im_start|>hi<|im_end|>', true)).toEqual(['<|im_start|>', 'hi', '<|im_end|>']);
    const imStart = bpe.nVocab - 2;
    expect(bpe.encode('<|im_start|>')).not.toContain(imStart);
    expect(bpe.decode(bpe.encode('<|im_start|>'))).toBe('<|im_start|>');
  });

  test('non-ASCII text goes through the byte alphabet', () => {
    const ids = bpe.encode('é🦙');
    expect(ids.length).toBe(6);
    expect(bpe.decode(ids)).toBe('é🦙');
    expect(bpe.decode(ids.slice(0, 3))).toBe('é\uFFFD');
  });

  test('unsupported vocabularies are named in the error', () => {
    expect(() => tokenizerFromGguf({ ...builtinVocab(), 'tokenizer.ggml.model': meta.str('bert') })).toThrow(/unsupported tokenizer\.ggml\.model 'bert' \(WordPiece/);
    expect(() => tokenizerFromGguf({ ...builtinVocab(), 'tokenizer.ggml.model': meta.str('t5') })).toThrow(/'t5' \(Unigram/);
    expect(() => tokenizerFromGguf(tinyBpe({ 'tokenizer.ggml.pre': meta.str('kimi-k2') }))).toThrow(/unsupported tokenizer\.ggml\.pre 'kimi-k2' \(llama\.cpp splits it with custom code/);
    expect(() => tokenizerFromGguf(tinyBpe({ 'tokenizer.ggml.pre': meta.str('no-such-pre') }))).toThrow(/tokenizer\.ggml\.pre 'no-such-pre' \(unknown name\)/);
    expect(() => tokenizerFromGguf({ 'tokenizer.ggml.model': meta.str('llama') })).toThrow(/no tokenizer\.ggml\.tokens/);
    const { ['tokenizer.ggml.merges']: _, ...noMerges } = tinyBpe();
    expect(() => tokenizerFromGguf(noMerges)).toThrow(/no tokenizer\.ggml\.merges/);
  });
});

describe('pre-tokenizers', () => {
  test('every supported tokenizer.ggml.pre compiles and splits without losing text', () => {
    const s = "Hello world's 1234567 ünïcode 你好 🦙\n\n  x\u3000y\t\r\nz";
    for (const name of PRE_NAMES) expect(preTokenizer(name).split(s).join(''), name).toBe(s);
  });

  test("llama.cpp's whitespace set: U+0085 is a space, U+FEFF is not", () => {
    const ws = llamaRegex('\\s+');
    expect('\x85'.match(ws)).not.toBeNull();
    expect('\uFEFF'.match(ws)).toBeNull();
    expect(preTokenizer('gpt-2').split('a\uFEFF b')).toEqual(['a', '\uFEFF', ' b']);
  });
});
