/**
 * Splitting special-token texts out of the input before merging (llama.cpp's tokenizer_st_partition).
 * Longest special texts are matched first. With `parseSpecial` false, control and unknown tokens
 * (e.g. "<|im_start|>", "<s>") stay plain text; user-defined tokens are matched either way, as
 * Hugging Face tokenizers and llama.cpp do. LSTRIP / RSTRIP tokens swallow the ASCII whitespace
 * before / after them.
 */
import { isCSpace } from './unicode.ts';
import { ATTR, type Vocab } from './vocab.ts';

/** Text pieces to merge (strings) and special-token ids, in order. */
export type Fragment = string | number;

function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0 && isCSpace(s[e - 1])) e--;
  return s.slice(0, e);
}

function trimStart(s: string): string {
  let b = 0;
  while (b < s.length && isCSpace(s[b])) b++;
  return s.slice(b);
}

export function partition(vocab: Vocab, text: string, parseSpecial: boolean): Fragment[] {
  let frags: Fragment[] = text ? [text] : [];
  for (const id of vocab.specials) {
    const attr = vocab.attrs[id];
    if (!parseSpecial && attr & (ATTR.CONTROL | ATTR.UNKNOWN)) continue;
    const t = vocab.tokens[id];
    if (!frags.some((f) => typeof f === 'string' && f.includes(t))) continue;
    const next: Fragment[] = [];
    for (const f of frags) {
      if (typeof f !== 'string') {
        next.push(f);
        continue;
      }
      let rest = f;
      for (let at = rest.indexOf(t); at >= 0; at = rest.indexOf(t)) {
        const left = attr & ATTR.LSTRIP ? trimEnd(rest.slice(0, at)) : rest.slice(0, at);
        if (left) next.push(left);
        next.push(id);
        rest = rest.slice(at + t.length);
        if (attr & ATTR.RSTRIP) rest = trimStart(rest);
      }
      if (rest) next.push(rest);
    }
    frags = next;
  }
  return frags;
}
