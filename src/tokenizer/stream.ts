/**
 * Incremental detokenization for streamed output: push(id) returns the text that became complete with
 * that token. A character split over several tokens (byte-fallback <0xF0><0x9F><0xA6><0x99>, or a BPE
 * token ending inside a UTF-8 sequence) is held back until its last byte arrives; flush() ends the
 * stream, turning an unfinished sequence into U+FFFD. Everything returned, joined, equals
 * tokenizer.decode(allIds, opts): both use Tokenizer.decodePiece, and TextDecoder's streaming mode
 * gives the same text as one decode of all the bytes.
 */
import type { DecodeOptions, Tokenizer } from './tokenizer.ts';

export class TextStream {
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a leading U+FEFF: it is text
  private atStart: boolean;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly opts: DecodeOptions = {},
  ) {
    this.atStart = !opts.continues;
  }

  /** The text completed by `id` ('' while a character is still incomplete). */
  push(id: number): string {
    const { bytes, next } = this.tokenizer.decodePiece(id, this.atStart, this.opts.skipSpecial);
    this.atStart = next;
    return this.decoder.decode(bytes, { stream: true });
  }

  /** Ends the stream: bytes of an unfinished character come out as U+FFFD. The stream can then start over. */
  flush(): string {
    const rest = this.decoder.decode();
    this.atStart = !this.opts.continues;
    return rest;
  }
}
