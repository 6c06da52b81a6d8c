/**
 * A vocabulary read from a GGUF's `tokenizer.*` metadata, with the defaults and fix-ups llama.cpp's
 * loader applies (src/llama-vocab.cpp, llama_vocab::impl::load), so tokenization matches llama.cpp:
 * default BOS/EOS per model type, auto-detected end-of-turn / fill-in-the-middle tokens (made control
 * tokens), the end-of-generation set, and Phi-3's right-stripping special tokens.
 */
import type { MetadataValue } from '@huggingface/gguf';
import type { MetaEntry } from '../gguf/writer.ts';
import { preTokenizer, type PreTokenizer } from './pre.ts';
import { utf8Length } from './unicode.ts';

/** llama_token_attr bits. */
export const ATTR = {
  UNKNOWN: 1 << 0,
  UNUSED: 1 << 1,
  NORMAL: 1 << 2,
  CONTROL: 1 << 3,
  USER_DEFINED: 1 << 4,
  BYTE: 1 << 5,
  LSTRIP: 1 << 7,
  RSTRIP: 1 << 8,
} as const;

/** tokenizer.ggml.token_type value (0 undefined, 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte) -> attr. */
const TYPE_ATTR = [0, ATTR.NORMAL, ATTR.UNKNOWN, ATTR.CONTROL, ATTR.USER_DEFINED, ATTR.UNUSED, ATTR.BYTE];

export interface Vocab {
  kind: 'spm' | 'bpe'; // tokenizer.ggml.model 'llama' | 'gpt2' / 'gemma4'
  tokens: readonly string[]; // [nVocab] piece texts as stored ('▁' for spaces, or GPT-2 byte characters)
  scores: Float32Array; // [nVocab] SentencePiece merge priority (higher merges first)
  attrs: Uint16Array; // [nVocab] ATTR bits
  ids: ReadonlyMap<string, number>; // piece text -> id; for duplicate texts the last id wins, as in llama.cpp
  ranks: ReadonlyMap<string, number>; // `${left}\0${right}` -> BPE merge rank (lower merges first)
  pre?: PreTokenizer; // BPE only
  byteEncode: boolean; // BPE pieces are in GPT-2's byte alphabet (false: raw UTF-8 with <0xNN> fallback)
  escapeWhitespace: boolean; // spaces become '▁' before merging
  addSpacePrefix: boolean; // SentencePiece's dummy prefix: a space before text that starts the input or follows a special token
  addBos: boolean;
  addEos: boolean;
  bos?: number;
  eos?: number;
  eot?: number;
  unk?: number;
  eog: ReadonlySet<number>; // ids that end generation
  specials: readonly number[]; // control, user-defined and unknown ids, longest text (in UTF-8 bytes) first
}

type Meta = Record<string, MetaEntry>;

function value(md: Meta, key: string): MetadataValue | undefined {
  return md[key]?.value;
}
function str(md: Meta, key: string): string | undefined {
  const v = value(md, key);
  return typeof v === 'string' ? v : undefined;
}
function int(md: Meta, key: string): number | undefined {
  const v = value(md, key);
  return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
}
function bool(md: Meta, key: string): boolean | undefined {
  const v = value(md, key);
  return typeof v === 'boolean' ? v : undefined;
}
function array(md: Meta, key: string): readonly unknown[] | undefined {
  const v = value(md, key);
  return Array.isArray(v) ? v : undefined;
}

const UNSUPPORTED_MODELS: Record<string, string> = {
  bert: 'WordPiece (BERT)',
  t5: 'Unigram (T5)',
  rwkv: 'RWKV',
  plamo2: 'PLaMo-2',
  hybriddna: 'hybrid DNA',
  whitespace: 'whitespace',
  no_vocab: 'no vocabulary',
  none: 'no vocabulary',
};

/** Texts llama.cpp recognizes as end-of-turn and fill-in-the-middle tokens when the GGUF names none (first found wins). */
const AUTO_DETECT: [key: string, texts: string[]][] = [
  ['eot', ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>', '[EOT]', '<｜end▁of▁sentence｜>', '<end_of_utterance>']],
  ['eom', ['<|eom_id|>']],
  ['fim_pre', ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>']],
  ['fim_suf', ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>']],
  ['fim_mid', ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>']],
  ['fim_pad', ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]']],
  ['fim_rep', ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>']],
  ['fim_sep', ['<|file_sep|>']],
];

/** Texts that end generation (llama.cpp's special_eog_ids), made control tokens. */
const EOG_TEXTS = [
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>', '<|endoftext|>',
  '</s>', '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>', '<eos>', '<turn|>',
  '<|tool_response>', '<｜end▁of▁sentence｜>', '[e~[',
];

export function readVocab(md: Meta): Vocab {
  const model = str(md, 'tokenizer.ggml.model');
  if (model === undefined) throw new Error('the GGUF has no tokenizer.ggml.model');
  let kind: 'spm' | 'bpe';
  let pre: PreTokenizer | undefined;
  const special: Record<string, number | undefined> = {};
  if (model === 'llama') {
    kind = 'spm';
    Object.assign(special, { bos: 1, eos: 2, unk: 0 });
  } else if (model === 'gpt2' || model === 'gemma4') {
    kind = 'bpe';
    pre = preTokenizer(model === 'gemma4' ? 'gemma4' : str(md, 'tokenizer.ggml.pre'));
    if (model === 'gpt2') Object.assign(special, { bos: 11, eos: 11 });
    if (pre.noBos) special.bos = undefined;
  } else {
    const what = UNSUPPORTED_MODELS[model] ? ` (${UNSUPPORTED_MODELS[model]})` : '';
    throw new Error(`unsupported tokenizer.ggml.model '${model}'${what}: tabserve reads 'llama' (SentencePiece) and 'gpt2' (byte-level BPE) vocabularies`);
  }

  const tokenList = array(md, 'tokenizer.ggml.tokens');
  if (!tokenList?.length) throw new Error('the GGUF has no tokenizer.ggml.tokens');
  const n = tokenList.length;
  // src/gguf/source.ts keeps a leading U+FEFF in metadata strings ("\uFEFF" is llama-spm's token 30143,
  // "\uFEFF#" gemma-4's); an empty or missing piece is named as llama.cpp names it
  const tokens = tokenList.map((t, i) => (typeof t === 'string' && t !== '' ? t : `[EMPTY_${i}]`));
  const scoreList = array(md, 'tokenizer.ggml.scores');
  const typeList = array(md, 'tokenizer.ggml.token_type');
  const scores = new Float32Array(n);
  const attrs = new Uint16Array(n).fill(ATTR.NORMAL);
  const ids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (scoreList) scores[i] = Number(scoreList[i] ?? 0);
    if (typeList) attrs[i] = TYPE_ATTR[Number(typeList[i])] ?? 0;
    ids.set(tokens[i], i);
  }

  const ranks = new Map<string, number>();
  const merges = array(md, 'tokenizer.ggml.merges');
  if (kind === 'bpe' && !merges) throw new Error('the GGUF has no tokenizer.ggml.merges (needed by a BPE vocabulary)');
  merges?.forEach((m, rank) => {
    const s = String(m);
    const at = s.indexOf(' ', 1); // as llama.cpp: the first space after the first character
    const key = at < 0 ? '\0' : `${s.slice(0, at)}\0${s.slice(at + 1)}`;
    if (!ranks.has(key)) ranks.set(key, rank);
  });

  // special ids: defaults above (dropped when out of range), then the GGUF's own when in range
  const KEYS: [string, string][] = [
    ['bos', 'bos_token_id'], ['eos', 'eos_token_id'], ['eot', 'eot_token_id'], ['eom', 'eom_token_id'], ['unk', 'unknown_token_id'],
    ['fim_pre', 'fim_pre_token_id'], ['fim_suf', 'fim_suf_token_id'], ['fim_mid', 'fim_mid_token_id'], ['fim_pad', 'fim_pad_token_id'],
    ['fim_rep', 'fim_rep_token_id'], ['fim_sep', 'fim_sep_token_id'],
    ['fim_pre', 'prefix_token_id'], ['fim_suf', 'suffix_token_id'], ['fim_mid', 'middle_token_id'],
  ];
  for (const [name, key] of KEYS) {
    const cur = special[name];
    if (cur !== undefined && cur >= n) special[name] = undefined;
    const id = int(md, `tokenizer.ggml.${key}`);
    if (id !== undefined && id >= 0 && id < n) special[name] = id;
  }

  const spmStyle = pre?.spmStyle ?? false;
  let addBos = bool(md, 'tokenizer.ggml.add_bos_token') ?? (kind === 'spm' || !!pre?.addBos);
  if (pre?.forceBos) addBos = true;
  const addEos = bool(md, 'tokenizer.ggml.add_eos_token') ?? false;
  const addSpacePrefix = bool(md, 'tokenizer.ggml.add_space_prefix') ?? kind === 'spm';

  const makeControl = (id: number) => (attrs[id] |= ATTR.CONTROL);
  for (const [name, texts] of AUTO_DETECT) {
    if (special[name] !== undefined) continue;
    const id = texts.map((t) => ids.get(t)).find((i) => i !== undefined);
    if (id !== undefined) {
      special[name] = id;
      makeControl(id);
    }
  }
  const eog = new Set<number>();
  for (const name of ['fim_pad', 'fim_rep', 'fim_sep']) if (special[name] !== undefined) eog.add(special[name]);
  for (const t of EOG_TEXTS) {
    const id = ids.get(t);
    if (id !== undefined) {
      eog.add(id);
      makeControl(id);
    }
  }
  // gpt-oss: these structure tokens are always rendered and always matched in text
  for (const t of ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>']) {
    const id = ids.get(t);
    if (id !== undefined) attrs[id] = ATTR.USER_DEFINED;
  }
  for (const name of ['eos', 'eot', 'eom']) if (special[name] !== undefined) eog.add(special[name]);
  fixEog(eog, tokens, attrs);

  const specials: number[] = [];
  for (let i = 0; i < n; i++) if (attrs[i] & (ATTR.CONTROL | ATTR.USER_DEFINED | ATTR.UNKNOWN)) specials.push(i);
  const byteLength = new Map(specials.map((i) => [i, utf8Length(tokens[i])]));
  specials.sort((a, b) => byteLength.get(b)! - byteLength.get(a)! || a - b);

  // Phi-3's special tokens swallow the whitespace after them (llama.cpp keys this on general.name)
  if (/phi-?3/.test(str(md, 'general.name')?.toLowerCase() ?? '')) {
    for (const id of specials) attrs[id] |= ATTR.RSTRIP;
    const set = (t: string, on: boolean) => {
      const id = ids.get(t);
      if (id !== undefined) attrs[id] = on ? attrs[id] | ATTR.RSTRIP : attrs[id] & ~ATTR.RSTRIP;
    };
    set('</s>', true);
    for (const t of ['<unk>', '<s>', '<|endoftext|>']) set(t, false);
  }

  return {
    kind, tokens, scores, attrs, ids, ranks, pre,
    byteEncode: !spmStyle, escapeWhitespace: spmStyle, addSpacePrefix, addBos, addEos,
    bos: special.bos, eos: special.eos, eot: special.eot, unk: special.unk,
    eog, specials,
  };
}

/** llama.cpp's EOG exceptions: gpt-oss's <|end|> and Gemma 4's </s> do not end generation. */
function fixEog(eog: Set<number>, tokens: readonly string[], attrs: Uint16Array): void {
  const byText = new Map([...eog].map((id) => [tokens[id], id]));
  const end = byText.get('<|end|>');
  const calls = byText.has('<|call|>') || byText.has('<|calls|>');
  if (end !== undefined && calls && (byText.has('<|return|>') || byText.has('<|flush|>'))) {
    eog.delete(end);
    attrs[end] = ATTR.USER_DEFINED;
  }
  const s = byText.get('</s>');
  if (s !== undefined && byText.has('<|tool_response>')) {
    eog.delete(s);
    attrs[s] = ATTR.NORMAL;
  }
}
