/**
 * Token ids to text from a GGUF's vocabulary, piece by piece: SentencePiece pieces ('llama': '▁' is a
 * space, <0xNN> a raw byte) and byte-level BPE pieces ('gpt2': each character stands for one byte).
 * A stopgap for `tabserve generate` until the tokenizer issue brings the full tokenizer.
 */
import type { MetaEntry } from '../gguf/writer.ts';

/** GPT-2's byte <-> printable character table: printable bytes map to themselves, the rest to 256+. */
function gpt2ByteOf(): Map<string, number> {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(keep(b) ? b : 256 + extra++), b);
  return map;
}

export function piecesDecoder(metadata: Record<string, MetaEntry>): (ids: readonly number[]) => string {
  const tokens = metadata['tokenizer.ggml.tokens']?.value;
  const vocab = Array.isArray(tokens) ? (tokens as string[]) : [];
  const types = metadata['tokenizer.ggml.token_type']?.value as number[] | undefined;
  const model = metadata['tokenizer.ggml.model']?.value;
  const byteOf = model === 'gpt2' ? gpt2ByteOf() : undefined;
  const utf8 = new TextEncoder();
  return (ids) => {
    const bytes: number[] = [];
    for (const id of ids) {
      const piece = vocab[id] ?? '';
      if (types?.[id] === 3) continue; // control tokens (BOS, EOS, ...) print nothing
      if (byteOf) {
        for (const ch of piece) {
          const b = byteOf.get(ch);
          if (b !== undefined) bytes.push(b);
          else bytes.push(...utf8.encode(ch));
        }
      } else {
        const byte = piece.match(/^<0x([0-9A-Fa-f]{2})>$/);
        if (byte) bytes.push(parseInt(byte[1], 16));
        else bytes.push(...utf8.encode(piece.replaceAll('\u2581', ' ')));
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  };
}
