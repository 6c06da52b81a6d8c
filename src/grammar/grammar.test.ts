// xgrammar over real vocabularies (llama.cpp's vocab-only GGUFs): a random walk through the allowed tokens
// (what a random-weight model does) always ends in JSON that a real validator (ajv) accepts.
import Ajv from 'ajv';
import { describe, expect, test } from 'vitest';
import { openGgufFile } from '../gguf/node_file.ts';
import { requestRng } from '../sampling/rng.ts';
import { vocabFile } from '../testing/paths.ts';
import { PERSON_SCHEMA } from '../testing/schemas.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { isAllowed } from '../sampling/sample.ts';
import { Grammars, type GrammarSpec } from './grammar.ts';


async function tokenizer(vocab: string): Promise<Tokenizer> {
  return tokenizerFromGguf((await openGgufFile(vocabFile(vocab))).metadata);
}

/** Samples uniformly among the allowed tokens until the grammar ends or `max` tokens; returns the text. */
async function randomWalk(tok: Tokenizer, spec: GrammarSpec, seed: number, max = 400): Promise<{ text: string; ended: boolean }> {
  const c = await (await Grammars.of(tok)).constraint(spec);
  const rng = requestRng(seed);
  const ids: number[] = [];
  try {
    while (ids.length < max) {
      const mask = await c.allowed();
      const allowed: number[] = [];
      for (let id = 0; id < tok.nVocab; id++) if (isAllowed(mask, id)) allowed.push(id);
      expect(allowed.length).toBeGreaterThan(0);
      const id = allowed[Math.floor(rng() * allowed.length)];
      expect(c.accept(id)).toBe(true);
      if (tok.isEog(id)) return { text: tok.decode(ids, { skipSpecial: true }), ended: true };
      ids.push(id);
    }
    return { text: tok.decode(ids, { skipSpecial: true }), ended: false };
  } finally {
    c.dispose();
  }
}

describe('grammar-constrained tokens', () => {
  for (const vocab of ['qwen2', 'llama-bpe', 'llama-spm', 'phi-3']) {
    test(`${vocab}: random walks through a JSON schema validate`, { timeout: 120_000 }, async () => {
      const tok = await tokenizer(vocab);
      const validate = new Ajv().compile(PERSON_SCHEMA);
      for (let seed = 1; seed <= 12; seed++) {
        const { text, ended } = await randomWalk(tok, { kind: 'json_schema', schema: PERSON_SCHEMA, strict: true }, seed);
        expect(ended, text).toBe(true);
        let value: unknown; try { value = JSON.parse(text); } catch (e) { throw new Error(JSON.stringify(text)); }
        expect(validate(value), `${text}\n${JSON.stringify(validate.errors)}`).toBe(true);
      }
    });
  }

  test('json_object gives a JSON object; an unknown tokenizer piece is never produced', { timeout: 60_000 }, async () => {
    const tok = await tokenizer('qwen2');
    const { text, ended } = await randomWalk(tok, { kind: 'json_object' }, 7, 60);
    // a free object may go on past 60 tokens; either way what came out is a prefix of an object
    expect(text.startsWith('{')).toBe(true);
    if (ended) expect(typeof JSON.parse(text)).toBe('object');
  });
});
