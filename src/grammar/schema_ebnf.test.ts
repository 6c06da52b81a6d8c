// The schema -> EBNF converter, checked by xgrammar's own matcher on strings (no vocabulary involved).
import { describe, expect, test } from 'vitest';
import { intRange, SchemaError, schemaToEbnf } from './schema_ebnf.ts';
import { xgrammar } from './xgrammar.ts';

async function accepts(ebnf: string): Promise<(text: string) => Promise<boolean>> {
  const xg = await xgrammar();
  const g = await xg.Grammar.fromEBNF(ebnf, 'root');
  return (text) => xg.Testings.isGrammarAcceptString(g, text);
}

const withBase = (expr: string): string => schemaToEbnf(true, { strict: false }).replace(/^root ::= .*$/m, `root ::= ${expr}`);

describe('schema to EBNF', () => {
  test('integer ranges accept exactly their members', async () => {
    const ranges: [number, number][] = [[0, 150], [-37, 12], [-250, -3], [7, 7], [5, 1234], [99, 1001], [-9, 0], [0, 9], [10, 99]];
    for (const [lo, hi] of ranges) {
      const ok = await accepts(withBase(intRange(lo, hi)));
      for (let v = lo - 15; v <= hi + 15; v++) expect(await ok(String(v)), `${v} in [${lo}, ${hi}]`).toBe(v >= lo && v <= hi);
      expect(await ok(`0${Math.abs(lo)}`)).toBe(false); // no leading zeros
    }
    const open = await accepts(withBase(intRange(42, Infinity)));
    for (const v of [41, 42, 99, 100, 123456789]) expect(await open(String(v))).toBe(v >= 42);
  });

  test('strings: length bounds count characters, escapes count once, raw control characters never pass', async () => {
    const ok = await accepts(schemaToEbnf({ type: 'string', minLength: 2, maxLength: 4 }, { strict: true }));
    expect(await ok('"ab"')).toBe(true);
    expect(await ok('"a\\nbc"')).toBe(true);
    expect(await ok('"é\\u00e9xy"')).toBe(true);
    expect(await ok('"a"')).toBe(false);
    expect(await ok('"abcde"')).toBe(false);
    expect(await ok('"a\tb"')).toBe(false);
    const free = await accepts(schemaToEbnf({ type: 'string' }, { strict: true }));
    expect(await free('"a\u0000"')).toBe(false);
    expect(await free('"tab\\t quote\\" ok"')).toBe(true);
  });

  test('objects: required, optional and extra properties, in order, compact', async () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'boolean' }, c: { type: 'null' } }, required: ['b'] };
    const strict = await accepts(schemaToEbnf(schema, { strict: true }));
    for (const [text, want] of [
      ['{"b": true}', true],
      ['{"a": 1, "b": false, "c": null}', true],
      ['{"b": true, "c": null}', true],
      ['{}', false],
      ['{"a": 1}', false],
      ['{"b": true, "x": 1}', false],
      ['{"b":true}', false],
    ] as const) expect(await strict(text), text).toBe(want);
    const loose = await accepts(schemaToEbnf(schema, { strict: false }));
    expect(await loose('{"b": true, "x": [1, {"y": "z"}]}')).toBe(true);
  });

  test('arrays, enums, const, anyOf, nullable types and recursive $ref', async () => {
    const ok = await accepts(
      schemaToEbnf(
        {
          type: 'object',
          properties: {
            tags: { type: 'array', items: { enum: ['x', 2, null] }, minItems: 1, maxItems: 2 },
            kind: { const: { k: [1] } },
            tree: { $ref: '#/$defs/node' },
            maybe: { type: ['string', 'null'] },
          },
          required: ['tags', 'kind', 'tree', 'maybe'],
          $defs: { node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['kids'] } },
        },
        { strict: true },
      ),
    );
    expect(await ok('{"tags": ["x", 2], "kind": {"k":[1]}, "tree": {"kids": [{"kids": []}]}, "maybe": null}')).toBe(true);
    expect(await ok('{"tags": [], "kind": {"k":[1]}, "tree": {"kids": []}, "maybe": "s"}')).toBe(false);
    expect(await ok('{"tags": [null, null, 2], "kind": {"k":[1]}, "tree": {"kids": []}, "maybe": "s"}')).toBe(false);
    expect(await ok('{"tags": ["y"], "kind": {"k":[1]}, "tree": {"kids": []}, "maybe": "s"}')).toBe(false);
  });

  test('what cannot be constrained is refused, naming where', () => {
    const refused = (schema: unknown): SchemaError => {
      try {
        schemaToEbnf(schema, { strict: true });
      } catch (e) {
        if (e instanceof SchemaError) return e;
        throw e;
      }
      throw new Error('not refused');
    };
    expect(refused({ type: 'object', properties: { id: { type: 'string', pattern: '^a' } } }).at).toBe('properties.id.pattern');
    expect(refused({ type: 'objekt' }).message).toMatch(/unknown type "objekt"/);
    expect(refused({ type: 'array', items: { not: {} } }).at).toBe('items.not');
    expect(refused({ type: 'integer', minimum: 5, maximum: 4 }).message).toMatch(/no integer/);
    expect(refused({ $ref: '#/$defs/missing' }).message).toMatch(/does not resolve/);
    expect(refused({ type: 'object', properties: {}, required: ['x'] }).message).toMatch(/"x" must be listed/);
  });
});
