/**
 * BPE pre-tokenizers by `tokenizer.ggml.pre`: the regexes llama.cpp (src/llama-vocab.cpp,
 * llm_tokenizer_bpe) splits text with before merging, and the per-name flags its vocab loader sets.
 * The regexes are llama.cpp's, in its syntax; unicode.ts gives them llama.cpp's meaning in JS.
 * Names whose splitting llama.cpp does in hand-written code with no regex equivalent (kimi-k2, afmoe,
 * tiny_aya, whitespace) are not supported.
 */
import { llamaRegex, splitByRegex } from './unicode.ts';

const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const QWEN2 = `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const CASED_WORDS = (m: string) =>
  `[^\\r\\n\\p{L}\\p{N}]?((?=[${m}])([^a-z]))*((?=[${m}])([^A-Z]))+(?:${CONTRACTIONS.slice(3, -1)})?|` +
  `[^\\r\\n\\p{L}\\p{N}]?((?=[${m}])([^a-z]))+((?=[${m}])([^A-Z]))*(?:${CONTRACTIONS.slice(3, -1)})?|` +
  '\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';
const CJK_KANA = '[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+';
const ASCII_PUNCT_WORD = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+";
const NO_SPLIT_PUNCT = ' ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+';
const NEWLINES = '[^\\n]+|[\\n]+';

/** Regex lists, applied one after another (each splits the pieces the previous one made). */
const REGEXES = {
  default: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'],
  gpt2: [GPT2],
  llama3: [LLAMA3],
  qwen2: [QWEN2],
  qwen35: [
    `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
  ],
  starcoder: ['\\p{N}', GPT2],
  falcon: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'],
  deepseek_llm: [
    '[\r\n]',
    '\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+',
    '\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+',
    '\\s+$',
    '[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+',
    '\\p{N}+',
  ],
  deepseek_coder: ['[\r\n]', '\\s?\\p{L}+', '\\s?\\p{P}+', '[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+', '\\p{N}'],
  deepseek3: [
    '\\p{N}{1,3}',
    CJK_KANA,
    `${ASCII_PUNCT_WORD}|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+`,
  ],
  spark2_5: [
    '\\p{N}{1,3}',
    CJK_KANA,
    `${ASCII_PUNCT_WORD}|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+`,
    '\\p{N}',
  ],
  youtu: [
    '[\uAC00-\uD7A3\u3131-\u318E]+|[\uFF01\u2026\u201C\u201D\u2018\u2019\u2014\uFF1A\uFF1B\uFF0C\u3001-\u303F\uFE30-\uFE4F]+|[\u3105-\u312F]+|[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+',
    `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+${CONTRACTIONS}?|` +
      `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*${CONTRACTIONS}?|` +
      '\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+',
  ],
  jais2: [
    `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|` +
      [512, 256, 128, 64, 32, 16, 8, 4].map((n) => `\\s{${n}}(?!\\S)|`).join('') + '\\s{1,2}(?!\\S)|\\s{1}',
  ],
  poro: [NO_SPLIT_PUNCT],
  viking: [NO_SPLIT_PUNCT, '\\p{N}'],
  tekken: [
    '[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|' +
      '\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+',
  ],
  chameleon: ['<sentinel:[0-9]+>', '(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z', '([\\t\\n]|    |  )', '\\p{N}', '[\\p{P}!-/:-@\\[-`{-~]', GPT2],
  gpt4o: [CASED_WORDS('\\p{L}')],
  granite_emb_multi: [CASED_WORDS('\\p{L}\\p{M}')],
  superbpe: ['\\p{N}+', '(?=(\\d{3})+(?!\\d))'],
  bailingmoe: [
    "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
  ],
  seed_coder: [`${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`],
  ufakzeka: ['[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+'],
  laguna: [NEWLINES, QWEN2],
  exaone_moe: [
    `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+`,
  ],
  minicpm5: ['\\p{N}{1,3}', `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`],
  // SentencePiece-style BPE (raw UTF-8, spaces as U+2581): only newlines split the text
  gemma4: [NEWLINES],
} satisfies Record<string, string[]>;

type RegexKey = keyof typeof REGEXES;

/** What llama.cpp's loader sets for a pre-tokenizer name besides its regexes. */
interface PreFlags {
  ignoreMerges?: boolean; // a word that is itself a token is not merged (tiktoken-style vocabularies)
  addBos?: boolean; // default for add_bos_token when the GGUF does not say
  noBos?: boolean; // the model has no BOS token (GLM-4)
  spmStyle?: boolean; // spaces are escaped to U+2581, pieces are raw UTF-8 with <0xNN> byte fallback
  forceBos?: boolean; // BOS is added even when the GGUF says not to (llama.cpp's Gemma 4 workaround)
  newlineTokens?: boolean; // a run of newlines that is itself a token stays whole (Gemma 4)
}

const NAMES: [RegexKey, PreFlags, string[]][] = [
  ['default', {}, ['default']],
  ['gpt2', {}, ['gpt-2', 'phi-2', 'jina-es', 'jina-de', 'gigachat', 'jina-v2-es', 'jina-v2-de', 'a.x-4.0', 'mellum', 'modern-bert',
    'jina-v1-en', 'jina-v2-code', 'roberta-bpe', 'mpt', 'olmo', 'jais', 'exaone4', 'trillion', 'granite-docling']],
  ['llama3', { ignoreMerges: true, addBos: true }, ['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2', 'jina-v5-nano']],
  ['llama3', {}, ['dbrx', 'smaug-bpe']],
  ['llama3', { noBos: true }, ['glm4', 'chatglm-bpe']],
  ['qwen2', {}, ['qwen2', 'deepseek-r1-qwen', 'kormo', 'f2llmv2', 'stablelm2', 'megrez', 'hunyuan', 'grok-2', 'solar-open']],
  ['qwen35', {}, ['qwen35']],
  ['starcoder', {}, ['starcoder', 'refact', 'command-r', 'smollm', 'codeshell', 'exaone', 'minerva-7b', 'mellum2']],
  ['falcon', {}, ['falcon']],
  ['deepseek_llm', {}, ['deepseek-llm']],
  ['deepseek_coder', {}, ['deepseek-coder']],
  ['deepseek3', {}, ['deepseek-v3', 'hunyuan-dense', 'hy_v4', 'joyai-llm']],
  ['spark2_5', {}, ['spark2_5']],
  ['youtu', { ignoreMerges: true }, ['youtu']],
  ['jais2', {}, ['jais-2']],
  ['poro', {}, ['poro-chat', 'bloom', 'gpt3-finnish']],
  ['viking', {}, ['viking']],
  ['tekken', { ignoreMerges: true, addBos: true }, ['tekken']],
  ['chameleon', { addBos: true }, ['chameleon']],
  ['gpt4o', {}, ['gpt-4o', 'llama4', 'kanana2', 'talkie', 'minimax-m2']],
  ['granite_emb_multi', { ignoreMerges: true }, ['granite-embed-multi-97m']],
  ['superbpe', {}, ['superbpe']],
  ['bailingmoe', {}, ['bailingmoe', 'bailingmoe2', 'llada-moe']],
  ['seed_coder', {}, ['seed-coder']],
  ['ufakzeka', {}, ['ufakzeka']],
  ['laguna', {}, ['laguna']],
  ['exaone_moe', {}, ['exaone-moe']],
  ['minicpm5', { ignoreMerges: true }, ['minicpm5']],
  ['gemma4', { spmStyle: true, forceBos: true, newlineTokens: true }, ['gemma4', 'granite-embed-multi-311m']],
  ['gemma4', { spmStyle: true }, ['sarvam-moe']],
];

/** Pre-tokenizer names llama.cpp knows but splits with custom code tabserve does not reproduce. */
const UNSUPPORTED = ['kimi-k2', 'afmoe', 'tiny_aya', 'cohere2moe', 'whitespace'];

export interface PreTokenizer extends PreFlags {
  name: string;
  /** Text -> words, before byte encoding and merges. */
  split(text: string): string[];
}

/** Code points llama.cpp turns into U+000B before matching a regex that uses no \p{...} (std::wregex). */
const NON_ASCII_SPACE = /[\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/g;

function splitter(sources: readonly string[]): (text: string) => string[] {
  const steps = sources.map((src) => ({ re: llamaRegex(src), wide: !src.includes('\\p{') }));
  return (text) => {
    let pieces = [text];
    for (const { re, wide } of steps) {
      if (!wide) {
        pieces = splitByRegex(pieces, re);
        continue;
      }
      // match on the text with non-ASCII spaces masked (same UTF-16 length), cut the original
      const next: string[] = [];
      for (const piece of pieces) {
        let at = 0;
        for (const part of splitByRegex([piece.replace(NON_ASCII_SPACE, '\v')], re)) {
          next.push(piece.slice(at, at + part.length));
          at += part.length;
        }
      }
      pieces = next;
    }
    return pieces;
  };
}

/** The pre-tokenizer for a `tokenizer.ggml.pre` value (missing or empty: llama.cpp's 'default'). */
export function preTokenizer(name: string | undefined): PreTokenizer {
  const pre = name || 'default';
  const entry = NAMES.find(([, , names]) => names.includes(pre));
  if (!entry) {
    const why = UNSUPPORTED.includes(pre) ? 'llama.cpp splits it with custom code that tabserve does not implement' : 'unknown name';
    throw new Error(`unsupported tokenizer.ggml.pre '${pre}' (${why})`);
  }
  const [key, flags] = entry;
  return { name: pre, ...flags, split: splitter(REGEXES[key]) };
}

/** Every supported name (for tests). */
export const PRE_NAMES: readonly string[] = NAMES.flatMap(([, , names]) => names);
