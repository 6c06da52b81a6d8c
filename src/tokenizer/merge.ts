/**
 * The two merge loops, as llama.cpp runs them (src/llama-vocab.cpp):
 * - SentencePiece (llm_tokenizer_spm_session): start from code points, repeatedly merge the adjacent
 *   pair whose concatenation is the vocabulary piece with the highest score (leftmost on ties); pieces
 *   that are no token fall back to <0xNN> byte tokens.
 * - BPE (llm_tokenizer_bpe_session): per pre-tokenized word, repeatedly merge the adjacent pair with
 *   the lowest merge rank (leftmost on ties).
 * Both keep symbols as a linked list over the text and a heap of candidate pairs; a popped pair is
 * skipped when either side has changed since it was pushed.
 */
import { Heap } from './heap.ts';
import { byteTokenText, utf8 } from './unicode.ts';
import type { Vocab } from './vocab.ts';

interface Symbols {
  start: Int32Array; // [n] UTF-16 offset of symbol i in the text
  len: Int32Array; // [n] UTF-16 length; 0 once merged into its left neighbour
  prev: Int32Array; // [n] linked list over live symbols, -1 at the ends
  next: Int32Array;
}

/** One symbol per code point. */
function codePoints(text: string): Symbols {
  const starts: number[] = [];
  for (let i = 0; i < text.length; i += text.codePointAt(i)! > 0xffff ? 2 : 1) starts.push(i);
  const n = starts.length;
  const s: Symbols = { start: Int32Array.from(starts), len: new Int32Array(n), prev: new Int32Array(n), next: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    s.len[i] = (i + 1 < n ? starts[i + 1] : text.length) - starts[i];
    s.prev[i] = i - 1;
    s.next[i] = i + 1 < n ? i + 1 : -1;
  }
  return s;
}

function mergeRight(s: Symbols, left: number, right: number): void {
  s.len[left] += s.len[right];
  s.len[right] = 0;
  s.next[left] = s.next[right];
  if (s.next[right] >= 0) s.prev[s.next[right]] = left;
}

interface SpmPair {
  left: number;
  right: number;
  score: number;
  len: number; // UTF-16 length of the merged text when pushed: detects stale pairs
}

/** SentencePiece merge of `text` (spaces already escaped to '▁'); appends ids to `out`. */
export function spmMerge(vocab: Vocab, text: string, out: number[]): void {
  const s = codePoints(text);
  if (s.start.length === 0) return;
  const heap = new Heap<SpmPair>((a, b) => a.score > b.score || (a.score === b.score && a.left < b.left));
  const tryPair = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const len = s.len[left] + s.len[right];
    const id = vocab.ids.get(text.substr(s.start[left], len));
    if (id !== undefined) heap.push({ left, right, score: vocab.scores[id], len });
  };
  for (let i = 1; i < s.start.length; i++) tryPair(i - 1, i);
  for (let p = heap.pop(); p; p = heap.pop()) {
    if (s.len[p.left] === 0 || s.len[p.right] === 0 || s.len[p.left] + s.len[p.right] !== p.len) continue;
    mergeRight(s, p.left, p.right);
    tryPair(s.prev[p.left], p.left);
    tryPair(p.left, s.next[p.left]);
  }
  // every merged symbol is a token; a single code point may not be: emit its UTF-8 bytes as byte tokens
  // (llama.cpp's resegment() also looks merged texts up in a reverse-merge map, which then never hits)
  for (let i = 0; i !== -1; i = s.next[i]) {
    const piece = text.substr(s.start[i], s.len[i]);
    const id = vocab.ids.get(piece);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    for (const b of utf8(piece)) {
      const byteId = vocab.ids.get(byteTokenText(b)) ?? (b < 0x80 ? vocab.ids.get(String.fromCharCode(b)) : undefined) ?? vocab.unk;
      if (byteId !== undefined) out.push(byteId);
    }
  }
}

interface BpePair {
  left: number;
  right: number;
  rank: number;
  text: string; // the merged text when pushed: detects stale pairs
}

/**
 * BPE merge of one word, already in the vocabulary's alphabet (GPT-2 byte characters, or raw UTF-8
 * with '▁' for spaces); appends ids to `out`.
 */
export function bpeMerge(vocab: Vocab, word: string, out: number[]): void {
  const whole =
    (vocab.pre?.ignoreMerges || (vocab.pre?.newlineTokens && /^\n+$/.test(word))) && vocab.ids.has(word);
  const s = whole ? { start: Int32Array.of(0), len: Int32Array.of(word.length), prev: Int32Array.of(-1), next: Int32Array.of(-1) } : codePoints(word);
  const heap = new Heap<BpePair>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left));
  const text = (i: number) => word.substr(s.start[i], s.len[i]);
  const tryPair = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const l = text(left);
    const r = text(right);
    const rank = vocab.ranks.get(`${l}\0${r}`);
    if (rank !== undefined) heap.push({ left, right, rank, text: l + r });
  };
  for (let i = 1; i < s.start.length; i++) tryPair(i - 1, i);
  for (let p = heap.pop(); p; p = heap.pop()) {
    if (s.len[p.left] === 0 || s.len[p.right] === 0 || text(p.left) + text(p.right) !== p.text) continue;
    mergeRight(s, p.left, p.right);
    tryPair(s.prev[p.left], p.left);
    tryPair(p.left, s.next[p.left]);
  }
  for (let i = 0; i !== -1 && s.start.length > 0; i = s.next[i]) {
    const piece = text(i);
    const id = vocab.ids.get(piece);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    // a merge result missing from the vocabulary: llama.cpp looks each UTF-8 byte up on its own
    for (const b of utf8(piece)) {
      const byteId = vocab.byteEncode ? (b < 0x80 ? vocab.ids.get(String.fromCharCode(b)) : undefined) : vocab.ids.get(byteTokenText(b));
      if (byteId !== undefined) out.push(byteId);
    }
  }
}
