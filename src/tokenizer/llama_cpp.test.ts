/**
 * Our tokenizer against llama.cpp's (node-llama-cpp) on TEST_STRINGS, with special-token parsing off
 * and on, for real vocabularies and the built-in one; then decode(encode(s)) == s where the model can
 * give the text back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openGgufFile } from '../gguf/node_file.ts';
import { vocabFile } from '../testing/paths.ts';
import { openLlamaCppVocab, writeBuiltinVocabModel, type LlamaCppVocab } from './llama_cpp_vocab.ts';
import { TEST_STRINGS } from './test_strings.ts';
import { tokenizerFromGguf, type Tokenizer } from './tokenizer.ts';
import { wellFormed } from './unicode.ts';

// the required six first, then every other vocabulary of llama.cpp's models/ that we tokenize
const VOCABS = ['llama-spm', 'llama-bpe', 'qwen2', 'gpt-2', 'phi-3', 'builtin',
  'qwen35', 'command-r', 'deepseek-coder', 'deepseek-llm', 'falcon', 'mpt', 'refact', 'starcoder', 'gemma-4', 'aquila', 'baichuan', 'gpt-neox'];

/**
 * Why a string does not come back from decode(encode(s)), or undefined when it must. These are
 * properties of the models, not of our code: llama.cpp gives the same ids.
 */
function roundTripException(vocab: string, tok: Tokenizer, s: string): string | undefined {
  if (wellFormed(s) !== s) return 'lone surrogates come back as U+FFFD';
  const spm = ['llama-spm', 'phi-3', 'builtin', 'baichuan', 'gemma-4'].includes(vocab);
  if (spm && s.includes('▁')) return "SentencePiece-style: a literal '▁' is the space mark and decodes as ' '";
  if ([...s].some((c) => tok.encode(c).length === 0)) return 'a character with no token (not even a byte token) is dropped';
  // user-defined tokens are matched even in plain text; Phi-3's strip the whitespace after them
  if (vocab === 'phi-3' && /<\|(user|assistant|system|end|endoftext)\|>[ \t\n\r]/.test(s)) return "Phi-3's special tokens swallow the whitespace after them";
  const ids = tok.encode(s);
  if (spm && ids.some((id) => tok.tokenText(id) === '<unk>')) return 'characters the vocabulary cannot spell become <unk>';
  return undefined;
}

/** BPE vocabularies whose llama.cpp detokenizer applies clean_spaces (" ," -> ","), which our decode does not. */
const CLEANS_SPACES = ['gpt-2', 'llama-bpe', 'falcon', 'mpt', 'refact', 'starcoder', 'aquila', 'gpt-neox', 'gemma-4'];

/** llama.cpp's clean_spaces passes (llama_vocab::impl::detokenize), to compare our pieces with its output. */
function cleanSpaces(t: string): string {
  const pass = (s: string, step: (s: string, i: number, out: string[]) => number) => {
    const out = s ? [s[0]] : [];
    for (let i = 1; i < s.length; i++) i = step(s, i, out);
    return out.join('');
  };
  t = pass(t, (s, i, out) => {
    if (s[i - 1] === ' ' && '?!.,'.includes(s[i])) out.pop(); // " ?" " !" " ." " ,"
    out.push(s[i]);
    return i;
  });
  t = pass(t, (s, i, out) => {
    out.push(s[i]);
    if (s[i] === "'" && i + 1 < s.length && s[i - 1] === ' ' && s[i + 1] === ' ') {
      out.splice(-2, 1); // " ' " -> "'"
      return i + 1;
    }
    return i;
  });
  return pass(t, (s, i, out) => {
    const [x1, x2] = [s[i + 1], s[i + 2]];
    if (s[i - 1] === ' ' && s[i] === "'" && i + 1 < s.length && (x1 === 's' || x1 === 'm' || (i + 2 < s.length && x2 === 'e' && (x1 === 'r' || x1 === 'v')))) out.pop();
    out.push(s[i]);
    return i;
  });
}

const summary: string[] = [];

for (const vocab of VOCABS) {
  describe(`${vocab} vs llama.cpp`, () => {
    let ours: Tokenizer;
    let ref: LlamaCppVocab;
    beforeAll(async () => {
      const path = vocab === 'builtin' ? await writeBuiltinVocabModel() : vocabFile(vocab);
      ours = tokenizerFromGguf((await openGgufFile(path)).metadata);
      ref = await openLlamaCppVocab(path);
    });
    afterAll(() => ref?.dispose());

    for (const special of [false, true]) {
      test(`same ids as llama.cpp, special tokens ${special ? 'parsed' : 'as text'} (${TEST_STRINGS.length} strings)`, () => {
        const bad = TEST_STRINGS.filter((s) => JSON.stringify(ours.encode(s, { special })) !== JSON.stringify(ref.tokenize(s, special)));
        summary.push(`${vocab.padEnd(15)} special=${String(special).padEnd(5)} ${TEST_STRINGS.length - bad.length}/${TEST_STRINGS.length}`);
        for (const s of bad) expect(ours.encode(s, { special }), JSON.stringify(s)).toEqual(ref.tokenize(s, special));
      });
    }

    test('special ids, end-of-generation set, control flags and pieces', () => {
      expect({ bos: ours.bos, eos: ours.eos, addBos: ours.addBos }).toEqual({ bos: ref.bos, eos: ref.eos, addBos: ref.addBos });
      // llama.cpp picks the end-of-turn token in hash-map order when several texts qualify; we take the first listed
      if (ref.eot !== undefined) expect(ours.eog.has(ref.eot)).toBe(true);
      const bad: string[] = [];
      let pieces = 0;
      let unkBytes = 0;
      for (let id = 0; id < ours.nVocab; id++) {
        if (ours.isEog(id) !== ref.isEog(id)) bad.push(`eog ${id}`);
        if (ours.isControl(id) !== ref.isControl(id)) bad.push(`control ${id}`);
        const want = ref.piece(id);
        const got = CLEANS_SPACES.includes(vocab) ? cleanSpaces(ours.decode([id])) : ours.decode([id]);
        if (want.startsWith('[UNK_BYTE_0x')) unkBytes++; // a character outside GPT-2's byte alphabet: we print the character
        else if (got !== want) bad.push(`piece ${id} ${JSON.stringify(ours.tokenText(id))}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
        else pieces++;
      }
      expect(bad.slice(0, 20)).toEqual([]);
      const notes = `${unkBytes ? ` (${unkBytes} shown as [UNK_BYTE_..] by llama.cpp, as the character by us)` : ''}${CLEANS_SPACES.includes(vocab) ? ' (after llama.cpp\'s clean_spaces)' : ''}`;
      summary.push(`${vocab.padEnd(15)} special ids, eog and control flags of ${ours.nVocab} tokens match; pieces ${pieces}/${ours.nVocab}${notes}`);
    });

    test('decode(encode(s)) == s, exceptions named', () => {
      const exceptions = new Map<string, number>();
      for (const s of TEST_STRINGS) {
        const why = roundTripException(vocab, ours, s);
        if (why) exceptions.set(why, (exceptions.get(why) ?? 0) + 1);
        else expect(ours.decode(ours.encode(s)), JSON.stringify(s)).toBe(s);
        if (wellFormed(s) !== s) expect(ours.decode(ours.encode(s))).toBe(wellFormed(s));
        // with BOS/EOS added and skipped again, the text is the same as without
        expect(ours.decode(ours.encode(s, { addSpecial: true }), { skipSpecial: true })).toBe(ours.decode(ours.encode(s)));
      }
      const notes = [...exceptions].map(([why, n]) => `${n} x ${why}`).join('; ');
      summary.push(`${vocab.padEnd(15)} round trip ${TEST_STRINGS.length - [...exceptions.values()].reduce((a, b) => a + b, 0)}/${TEST_STRINGS.length}${notes ? ` (exceptions: ${notes})` : ''}`);
    });
  });
}

afterAll(() => {
  console.log(`tokenizer vs llama.cpp, vocab -> passed/total\n${summary.join('\n')}`);
});
