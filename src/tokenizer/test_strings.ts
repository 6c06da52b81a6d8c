/**
 * Strings the tokenizer tests run through both tabserve and llama.cpp: code, emoji, CJK, whitespace
 * runs, special-token look-alikes, mixed scripts, numbers, control characters and broken UTF-16.
 * Deterministic: a fixed list plus combinations of it.
 */

const PROSE = [
  'Hello world',
  ' Hello world',
  'Hello, world! How are you today?',
  "I'm sure they'll say it's fine, but we've DONE IT'S WORK and y'all'd know.",
  'The quick brown fox jumps over the lazy dog.',
  'e.g. Mr. Smith & Co., Ltd. (est. 1999) - "quoted" \'single\' `tick`',
  'Ellipsis… em—dash – en-dash “curly” ‘quotes’ «guillemets»',
  'ALL CAPS SENTENCE WITH NUMBERS 123 AND SYMBOLS #@!',
  'camelCaseIdentifier snake_case_identifier kebab-case-identifier SCREAMING_CASE',
  'a',
  'A',
  '.',
  '?',
  "'",
  "' era",
  "'s 't 're 've 'm 'll 'd 'S 'T 'RE",
];

const CODE = [
  'def f(x):\n    return x * 2\n',
  'for (let i = 0; i < n; i++) {\n\tsum += a[i];\n}',
  'const re = /^[a-z]+\\d{2,3}$/gi;',
  '{"key": "value", "n": [1, 2.5, -3e10], "ok": true, "nil": null}',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }',
  'SELECT * FROM users WHERE id = 42 AND name LIKE \'%bob%\';',
  '<div class="a"><span>text</span></div>',
  '    if x:\n        pass\n    else:\n        raise ValueError("bad")',
  'x+=1;y-=2;z*=3;w/=4;v%=5;u**=6;t//=7',
  '```python\nprint("hi")\n```',
  '$ npm install --save-dev typescript && npx tsc -p .',
  'https://example.com/path?q=1&r=two#frag',
  'user@example.com, admin+tag@sub.domain.org',
  'a->b => c <= d >= e != f == g === h !== i',
  '~/.config/app/settings.json C:\\Users\\me\\file.txt',
  '0x1F 0b1010 0o777 1_000_000 3.14159 -2.5e-3 1e100',
];

const WHITESPACE = [
  '',
  ' ',
  '  ',
  '   ',
  '\t',
  '\n',
  '\n\n',
  '\n\n\n',
  '\t\n',
  '\r\n',
  '\r\n\r\n',
  ' \n \n ',
  'a  b   c    d',
  'trailing spaces   ',
  '   leading spaces',
  'tabs\tbetween\t\twords',
  'mixed \t \n \r\n whitespace',
  '\u00A0non-breaking\u00A0space',
  '\u3000ideographic\u3000space',
  'line\u2028separator\u2029paragraph',
  '\u0085next line',
  '\v\fvertical tab form feed',
  'zero\u200Bwidth\u200Cjoiner\u200Dhere',
  '\uFEFFbyte order mark',
  '    Hello\n    Hello',
  ' ' + '\n'.repeat(5) + ' '.repeat(7) + 'x',
];

const SPECIAL_LOOKALIKES = [
  '<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n',
  '<s>Hello</s>',
  '<s> Hello </s>',
  '<|endoftext|>',
  'text<|endoftext|>more text',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
  '[INST] Hello [/INST]',
  '<|user|>\nHello<|end|>\n<|assistant|>\n',
  '<|system|>  You are helpful.<|end|>  ',
  '<unk><pad><mask>',
  '<|im_start|><|im_start|><|im_end|>',
  '<|im_',
  '<|im_start',
  'im_start|>',
  '< |im_start| >',
  '<<|im_start|>>',
  '<|fim_prefix|>def<|fim_suffix|>\n<|fim_middle|>',
  '<think>\nreasoning\n</think>\n\nanswer',
  '<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>',
  '<0x0A><0xFF>',
  '▁Hello▁world',
  '<start_of_turn>user\nhi<end_of_turn>',
];

const SCRIPTS = [
  '你好，世界！今天天气很好。',
  '我想在apple工作1314151天～',
  '日本語のテキストとカタカナ、ひらがな。',
  '한국어 텍스트입니다. 안녕하세요!',
  'нещо на Български',
  'Привет, как дела? Всё хорошо.',
  'Ελληνικά γράμματα και τόνοι',
  'مرحبا بالعالم، كيف حالك؟',
  'שלום עולם',
  'नमस्ते दुनिया, आप कैसे हैं?',
  'สวัสดีชาวโลก',
  'კარგი დღე',
  'Tiếng Việt có dấu: Đường phố',
  'Zürich Straße façade naïve coöperate',
  'e\u0301 a\u0300 o\u0308 n\u0303 (combining marks)',
  'ﬁ ﬂ ﬀ ligatures and ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ',
  'mixed English 中文 русский العربية 123',
  'កាន់តែពិសេសអាចខលចេញ',
  'ᚠᛇᚻ᛫ᛒᛦᚦ runes',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝒮𝒸𝓇𝒾𝓅𝓉',
];

const EMOJI = [
  '🦙',
  ' this is 🦙.cpp',
  '😀😃😄😁',
  '👍🏽 👋🏿 🧑‍💻 👨‍👩‍👧‍👦',
  '🏳️‍🌈 🇺🇸 🇯🇵 🇩🇪',
  '🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)',
  '❤️ ♥ ★ ☆ ✓ ✗ ∑ ∫ √ ∞ ≈ ≠ ≤ ≥',
  'Hello, y\'all! How are you 😁 ?',
  '©®™ °C €£¥ ¼½¾',
  '🙂'.repeat(10),
];

const NUMBERS = [
  '3',
  '33',
  '333',
  '3333',
  '33333',
  '333333',
  '3333333',
  '33333333',
  '333333333',
  '1234567890',
  '3.14 2,718 1,000,000 $9.99 -42 +7',
  'Phone: +1 (555) 123-4567',
  '2024-01-15T10:30:00Z',
  '١٢٣ ٤٥٦ (Arabic-Indic) ０１２ (fullwidth) ²³ ½',
  'w048 7tuijk dsdfhu',
  'v1.2.3-beta.4+build.567',
];

const EDGE = [
  '\x00\x01\x07\x1b[31mred\x1b[0m',
  '\uD800 lone high surrogate',
  'lone low \uDC00 surrogate',
  'reversed \uDC00\uD800 pair',
  '\uFFFD replacement char',
  '\uE000 private use \uF8FF',
  'Unassigned \u0378 \u05FF code points',
  'a'.repeat(300),
  'ab'.repeat(150),
  '!'.repeat(64),
  'word '.repeat(60),
  '.'.repeat(33) + ' ' + '-'.repeat(33),
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  'x'.repeat(40) + '🦙'.repeat(5) + '中'.repeat(20),
];

const BASE = [...PROSE, ...CODE, ...WHITESPACE, ...SPECIAL_LOOKALIKES, ...SCRIPTS, ...EMOJI, ...NUMBERS, ...EDGE];

/** Joins of pieces from different groups, so boundaries between kinds of text are covered too. */
function combos(): string[] {
  const groups = [PROSE, CODE, WHITESPACE, SPECIAL_LOOKALIKES, SCRIPTS, EMOJI, NUMBERS];
  const out: string[] = [];
  for (let i = 0; out.length < 60; i++) {
    const a = groups[i % groups.length];
    const b = groups[(i * 3 + 1) % groups.length];
    const c = groups[(i * 5 + 2) % groups.length];
    out.push(a[(i * 7) % a.length] + b[(i * 11 + 3) % b.length] + ' ' + c[(i * 13 + 5) % c.length]);
  }
  return out;
}

export const TEST_STRINGS: readonly string[] = [...BASE, ...combos()];
