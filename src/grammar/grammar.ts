/**
 * Grammar-constrained decoding: which tokens may come next, per step, from xgrammar (xgrammar.ts).
 *   const g = await Grammars.of(tokenizer);                // once per vocabulary (~1 s for 150k tokens)
 *   const c = await g.constraint({ kind: 'json_schema', schema, strict: true });
 *   each step: mask = await c.allowed(); ...sample among the allowed...; c.accept(token)
 * The mask is a bitset over the vocabulary: token id i is allowed when bit (i & 31) of word (i >> 5) is set.
 * Once the grammar is complete only end-of-generation tokens are allowed, so a constrained answer ends by
 * itself (unless max_tokens cuts it first, finish_reason 'length', as OpenAI does).
 * JSON comes out compact (", " and ": " separators, no newlines): any-whitespace grammars let a weak model
 * pad forever. Schemas become EBNF here (schema_ebnf.ts); xgrammar compiles the EBNF against the vocabulary
 * and tracks the state.
 */
import type { CompiledGrammar, GrammarCompiler, GrammarMatcher } from '@mlc-ai/web-xgrammar';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { schemaToEbnf } from './schema_ebnf.ts';
import { xgrammar } from './xgrammar.ts';

export type GrammarSpec =
  | { kind: 'json_object' } // any JSON object (response_format json_object)
  | { kind: 'json_schema'; schema: object | boolean; strict: boolean } // strict: no properties or items beyond the schema's
  | { kind: 'ebnf'; ebnf: string }; // a whole grammar, rule `root` first (tool calls: tool_grammar.ts)

/** The allowed-next-token mask of one generation. Not shared: one per sequence. */
export interface TokenConstraint {
  /** [ceil(V / 32)] bitset of the tokens allowed next. */
  allowed(): Promise<Int32Array>;
  /** Advances past `token`; false (state unchanged) when the grammar does not allow it. */
  accept(token: number): boolean;
  /** The grammar is complete and an end token was accepted. */
  readonly done: boolean;
  dispose(): void;
}

const COMPILED_KEEP = 16; // compiled grammars kept per vocabulary (a schema compiles in ~10-100 ms)

/** One vocabulary's compiler and its recently compiled grammars. */
export class Grammars {
  private static readonly byTokenizer = new WeakMap<Tokenizer, Promise<Grammars>>();
  private readonly compiled = new Map<string, Promise<CompiledGrammar>>(); // LRU: insertion order

  constructor(
    private readonly compiler: GrammarCompiler,
    private readonly createMatcher: (g: CompiledGrammar) => Promise<GrammarMatcher>,
  ) {}

  /** The grammar compiler for a tokenizer's vocabulary, built on first use. */
  static of(tokenizer: Tokenizer): Promise<Grammars> {
    let g = Grammars.byTokenizer.get(tokenizer);
    if (!g) {
      g = build(tokenizer);
      Grammars.byTokenizer.set(tokenizer, g);
      g.catch(() => Grammars.byTokenizer.delete(tokenizer));
    }
    return g;
  }


  /** Compiles (or finds) a grammar. Throws the engine's Error for a schema it cannot compile. */
  compile(spec: GrammarSpec): Promise<CompiledGrammar> {
    const key = JSON.stringify(spec);
    let c = this.compiled.get(key);
    if (c) {
      this.compiled.delete(key); // refresh its place
    } else {
      c = this.compileNow(spec);
      c.catch(() => this.compiled.delete(key));
    }
    this.compiled.set(key, c);
    while (this.compiled.size > COMPILED_KEEP) {
      const [oldest, dropped] = this.compiled.entries().next().value!;
      this.compiled.delete(oldest);
      dropped.then((g) => g.dispose(), () => {});
    }
    return c;
  }

  private compileNow(spec: GrammarSpec): Promise<CompiledGrammar> {
    return this.compiler.compileGrammar(specEbnf(spec), 'root');
  }

  async constraint(spec: GrammarSpec): Promise<TokenConstraint> {
    return new MatcherConstraint(await this.createMatcher(await this.compile(spec)));
  }
}

class MatcherConstraint implements TokenConstraint {
  constructor(private readonly m: GrammarMatcher) {}
  allowed(): Promise<Int32Array> {
    return this.m.getNextTokenBitmask();
  }
  accept(token: number): boolean {
    return this.m.acceptToken(token);
  }
  get done(): boolean {
    return this.m.isTerminated();
  }
  dispose(): void {
    this.m.dispose();
  }
}

/** Control tokens a tool-call grammar writes (Mistral's calls start with the control token [TOOL_CALLS]). */
const TOOL_MARKERS = new Set(['[TOOL_CALLS]']);

/**
 * The vocabulary as xgrammar reads it: pieces as stored (it decodes byte-level and byte-fallback pieces
 * itself), control/unknown/unused tokens as '' so no grammar can produce them, and the end tokens as stop
 * tokens (allowed exactly when the grammar is complete).
 */
async function build(tokenizer: Tokenizer): Promise<Grammars> {
  const xg = await xgrammar();
  const pieces = Array.from({ length: tokenizer.nVocab }, (_, id) => (tokenizer.isText(id) || TOOL_MARKERS.has(tokenizer.tokenText(id)) ? tokenizer.tokenText(id) : ''));
  const type = tokenizer.pieceStyle === 'byte-level' ? 'byte_level' : 'byte_fallback';
  const info = await xg.TokenizerInfo.createTokenizerInfo(pieces, type, tokenizer.spacePrefix, tokenizer.nVocab, [...tokenizer.eog]);
  const compiler = await xg.GrammarCompiler.createGrammarCompiler(info, false);
  return new Grammars(compiler, (g) => xg.GrammarMatcher.createGrammarMatcher(g));
}

/** The EBNF of a spec. Throws SchemaError for a schema that cannot be constrained. */
export function specEbnf(spec: GrammarSpec): string {
  switch (spec.kind) {
    case 'json_object':
      return schemaToEbnf({ type: 'object' }, { strict: false });
    case 'json_schema':
      return schemaToEbnf(spec.schema, { strict: spec.strict });
    case 'ebnf':
      return spec.ebnf;
  }
}
