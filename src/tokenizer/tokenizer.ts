/**
 * Text <-> token ids from a GGUF's `tokenizer.*` metadata (a vocab-only GGUF is enough), giving the
 * same ids as llama.cpp: SentencePiece vocabularies ('llama': scores, '▁' for spaces, <0xNN> byte
 * fallback, a dummy space prefix) and byte-level BPE ('gpt2': merges, a pre-tokenizer regex set per
 * `tokenizer.ggml.pre`), plus Gemma 4's SentencePiece-style BPE.
 *
 * Written here rather than on @huggingface/tokenizers: that library consumes tokenizer.json, and a
 * GGUF does not carry one. SentencePiece GGUFs have scores but no merge list (HF's Llama tokenizer
 * is a BPE over merges), and llama.cpp's special-token splitting (a space prefix after each special
 * token, user-defined tokens matched even in plain text, Phi-3's right-strip) and its regex dialect
 * (its own whitespace set, regexes applied in sequence) differ from the library's. Matching llama.cpp
 * id for id is what keeps our logits comparable with it, so we follow its algorithm directly.
 */
import type { MetaEntry } from '../gguf/writer.ts';
import { bpeMerge, spmMerge } from './merge.ts';
import { partition } from './special.ts';
import { byteEncode, byteTokenValue, CHAR_BYTE, utf8, wellFormed } from './unicode.ts';
import { ATTR, readVocab, type Vocab } from './vocab.ts';

export interface EncodeOptions {
  /** Match special/control token texts (e.g. "<|im_start|>") as those tokens: only for text the chat template produced. Default false. */
  special?: boolean;
  /** Add BOS / EOS as the model asks (addBos / addEos). Default false. */
  addSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave out control and unknown tokens (BOS, EOS, <|im_end|>, ...); user-defined tokens are always text. Default false. */
  skipSpecial?: boolean;
  /**
   * The ids continue earlier text, so a SentencePiece model's leading space on the first token is a
   * real space (e.g. a completion after its prompt). Default false: the ids begin a text, and that
   * space is the dummy prefix encode() added, so it is dropped.
   */
  continues?: boolean;
}

export interface Tokenizer {
  readonly nVocab: number;
  readonly bos?: number;
  readonly eos?: number;
  readonly eot?: number; // end of turn: tokenizer.ggml.eot_token_id, else <|eot_id|>, <|im_end|>, <|end|>, ... when the vocabulary has one
  readonly eog: ReadonlySet<number>; // every id that ends generation (EOS, EOT, EOM, ...), as llama.cpp's llama_vocab_is_eog
  readonly addBos: boolean;
  readonly addEos: boolean;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  /**
   * One step of decoding: the bytes `id` adds to the text. `atStart` says the token begins a text (at
   * the start, or after a special token), where a SentencePiece dummy-prefix space is dropped; `next`
   * is `atStart` for the following token. decode() and TextStream are both built on this.
   */
  decodePiece(id: number, atStart: boolean, skipSpecial?: boolean): { bytes: Uint8Array; next: boolean };
  tokenText(id: number): string; // the raw piece as stored in the vocabulary
  tokenBytes(id: number): Uint8Array; // the bytes the token stands for (special tokens as their text)
  isControl(id: number): boolean;
  isEog(id: number): boolean;
  /** The token stands for text (normal, byte or user-defined): not a control, unknown or unused token. */
  isText(id: number): boolean;
  /**
   * How tokenText() pieces are written: 'byte-level' = GPT-2's byte alphabet; 'byte-fallback' = UTF-8 with
   * '▁' for spaces and <0xNN> byte tokens (SentencePiece). For tools that read raw pieces (the grammar engine).
   */
  readonly pieceStyle: 'byte-level' | 'byte-fallback';
  /** decode() drops the dummy-prefix space of the first token (SentencePiece's add_space_prefix). */
  readonly spacePrefix: boolean;
}

/** Throws an Error naming an unsupported tokenizer.ggml.model or tokenizer.ggml.pre. */
export function tokenizerFromGguf(metadata: Record<string, MetaEntry>): Tokenizer {
  return new GgufTokenizer(readVocab(metadata));
}

const EMPTY = new Uint8Array(0);
const SPECIAL = ATTR.CONTROL | ATTR.USER_DEFINED | ATTR.UNKNOWN; // the tokens partition() splits out
const WORD_CACHE_LIMIT = 50_000;

class GgufTokenizer implements Tokenizer {
  readonly nVocab: number;
  readonly bos?: number;
  readonly eos?: number;
  readonly eot?: number;
  readonly eog: ReadonlySet<number>;
  readonly addBos: boolean;
  readonly addEos: boolean;
  private readonly pieces: (Uint8Array | undefined)[]; // [nVocab] bytes per token, filled on first use
  private readonly words = new Map<string, number[]>(); // BPE word -> ids (pure, so cached)
  private readonly stripPrefix: boolean; // decode drops the dummy-prefix space encode adds (SentencePiece)

  constructor(private readonly v: Vocab) {
    this.nVocab = v.tokens.length;
    this.bos = v.bos;
    this.eos = v.eos;
    this.eot = v.eot;
    this.eog = v.eog;
    this.addBos = v.addBos && v.bos !== undefined;
    this.addEos = v.addEos && v.eos !== undefined;
    this.pieces = new Array<Uint8Array | undefined>(this.nVocab);
    this.stripPrefix = v.kind === 'spm' && v.addSpacePrefix;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const v = this.v;
    const out: number[] = [];
    if (opts.addSpecial && this.addBos) out.push(v.bos!);
    let afterSpecial = true; // SentencePiece: a text fragment at the start or after a special token gets a space prefix
    for (const frag of partition(v, wellFormed(text), opts.special ?? false)) {
      if (typeof frag === 'number') {
        out.push(frag);
        afterSpecial = true;
      } else if (v.kind === 'spm') {
        const t = v.addSpacePrefix && afterSpecial ? ' ' + frag : frag;
        spmMerge(v, t.replaceAll(' ', '▁'), out);
        afterSpecial = false;
      } else {
        this.bpe(v.escapeWhitespace ? frag.replaceAll(' ', '▁') : frag, out);
      }
    }
    if (opts.addSpecial && this.addEos) out.push(v.eos!);
    return out;
  }

  private bpe(text: string, out: number[]): void {
    for (const w of this.v.pre!.split(text)) {
      const word = this.v.byteEncode ? byteEncode(w) : w;
      let ids = this.words.get(word);
      if (!ids) {
        ids = [];
        bpeMerge(this.v, word, ids);
        if (this.words.size >= WORD_CACHE_LIMIT) this.words.clear();
        this.words.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let atStart = !opts.continues;
    for (const id of ids) {
      const { bytes, next } = this.decodePiece(id, atStart, opts.skipSpecial);
      parts.push(bytes);
      atStart = next;
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    // invalid UTF-8 (a cut multi-byte character) becomes U+FFFD; a leading U+FEFF is text, not a BOM to drop
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(all);
  }

  decodePiece(id: number, atStart: boolean, skipSpecial = false): { bytes: Uint8Array; next: boolean } {
    const attr = this.attr(id);
    if (attr & SPECIAL) {
      const hidden = skipSpecial && attr & (ATTR.CONTROL | ATTR.UNKNOWN);
      return { bytes: hidden ? EMPTY : this.tokenBytes(id), next: true };
    }
    const bytes = this.tokenBytes(id);
    const strip = this.stripPrefix && atStart && bytes[0] === 0x20;
    return { bytes: strip ? bytes.subarray(1) : bytes, next: false };
  }

  tokenText(id: number): string {
    this.attr(id);
    return this.v.tokens[id];
  }

  tokenBytes(id: number): Uint8Array {
    const attr = this.attr(id);
    const cached = this.pieces[id];
    if (cached) return cached;
    const text = this.v.tokens[id];
    let bytes: Uint8Array;
    if (attr & SPECIAL) bytes = utf8(text);
    else if (attr & ATTR.BYTE && byteTokenValue(text) !== undefined) bytes = Uint8Array.of(byteTokenValue(text)!);
    else if (attr & (ATTR.NORMAL | ATTR.BYTE)) {
      if (this.v.byteEncode && this.v.kind === 'bpe') {
        // GPT-2 byte characters -> bytes; a character outside that alphabet stands for itself
        // (llama.cpp prints "[UNK_BYTE_0x..]" there)
        const out: number[] = [];
        for (const ch of text) {
          const b = CHAR_BYTE.get(ch);
          if (b !== undefined) out.push(b);
          else out.push(...utf8(ch));
        }
        bytes = Uint8Array.from(out);
      } else bytes = utf8(text.replaceAll('▁', ' '));
    } else bytes = EMPTY; // unused / undefined token types print nothing, as in llama.cpp
    this.pieces[id] = bytes;
    return bytes;
  }

  isControl(id: number): boolean {
    return (this.attr(id) & ATTR.CONTROL) !== 0;
  }

  isEog(id: number): boolean {
    return this.eog.has(id);
  }

  isText(id: number): boolean {
    return (this.attr(id) & (ATTR.NORMAL | ATTR.BYTE | ATTR.USER_DEFINED)) !== 0;
  }

  get pieceStyle(): 'byte-level' | 'byte-fallback' {
    return this.v.kind === 'bpe' && this.v.byteEncode ? 'byte-level' : 'byte-fallback';
  }

  get spacePrefix(): boolean {
    return this.stripPrefix;
  }

  private attr(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.nVocab) throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.nVocab - 1})`);
    return this.v.attrs[id];
  }
}
