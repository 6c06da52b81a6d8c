/**
 * Text helpers shared by the tokenizers: UTF-8 bytes, GPT-2's byte-level alphabet, and llama.cpp's
 * pre-tokenizer regexes translated to JavaScript.
 *
 * llama.cpp's regexes use its own character classes: `\s` is a fixed set of 25 code points (no U+FEFF,
 * which JS's `\s` has; U+0085, which JS's `\s` lacks), and `\p{L}`, `\p{N}`, `\p{P}`, `\p{S}`, `\p{M}` are
 * the Unicode general categories (JS `\p{...}` under the `u` flag is the same).
 */

/** llama.cpp's whitespace set (unicode_set_whitespace), as the body of a regex character class. */
const WS = '\\t\\n\\v\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';

/** llama.cpp's isspace() for special-token lstrip/rstrip: the C locale's six ASCII spaces. */
export function isCSpace(ch: string): boolean {
  return ch === ' ' || (ch >= '\t' && ch <= '\r');
}

/**
 * A llama.cpp pre-tokenizer regex (ECMAScript syntax plus `\p{...}`) as a global, unicode JS RegExp with
 * llama.cpp's meaning of `\s` / `\S`. llama.cpp writes no nested classes, so one flag tracks `[...]`.
 */
export function llamaRegex(src: string): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[++i];
      if (n === 's') out += inClass ? WS : `[${WS}]`;
      else if (n === 'S') {
        if (inClass) throw new Error(`unsupported \\S inside a class in /${src}/`);
        out += `[^${WS}]`;
      } else if (n === 'p' && src[i + 1] === '{') {
        const end = src.indexOf('}', i);
        const name = src.slice(i + 2, end);
        out += name === 'Han' ? '\\p{Script=Han}' : `\\p{${name}}`;
        i = end;
      } else out += c + n;
    } else {
      if (c === '[' && !inClass) inClass = true;
      else if (c === ']' && inClass) inClass = false;
      out += c;
    }
  }
  return new RegExp(out, 'gu');
}

/**
 * Splits each piece by a regex the way llama.cpp's unicode_regex_split does: every match becomes a piece
 * and so does the text between matches (an empty match only marks a boundary).
 */
export function splitByRegex(pieces: readonly string[], re: RegExp): string[] {
  const out: string[] = [];
  for (const piece of pieces) {
    let last = 0;
    for (const m of piece.matchAll(re)) {
      const at = m.index ?? 0;
      if (at > last) out.push(piece.slice(last, at));
      if (m[0].length > 0) out.push(m[0]);
      last = at + m[0].length;
    }
    if (last < piece.length) out.push(piece.slice(last));
  }
  return out;
}

/** Lone surrogates become U+FFFD, as UTF-8 encoding (TextEncoder, llama.cpp through N-API) makes them. */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

const encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 length of a well-formed string without allocating. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * GPT-2's byte-level alphabet: bytes that are printable Latin-1 stand for themselves, the other 68 map
 * to U+0100.. in order. BYTE_CHAR[b] is the one-character string for byte b; CHAR_BYTE inverts it.
 */
export const BYTE_CHAR: readonly string[] = (() => {
  const chars: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars.push(String.fromCharCode(printable ? b : 256 + extra++));
  }
  return chars;
})();
export const CHAR_BYTE: ReadonlyMap<string, number> = new Map(BYTE_CHAR.map((c, b) => [c, b]));

/** A word's UTF-8 bytes written in the byte-level alphabet (one UTF-16 unit per byte). */
export function byteEncode(word: string): string {
  let out = '';
  for (const b of utf8(word)) out += BYTE_CHAR[b];
  return out;
}

/** "<0x0A>" -> 10 for SentencePiece byte-fallback tokens; undefined for any other text. */
export function byteTokenValue(text: string): number | undefined {
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
  return m ? parseInt(m[1], 16) : undefined;
}

export function byteTokenText(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}
