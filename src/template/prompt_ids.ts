/**
 * Prompt text to token ids, the way llama.cpp's server does it:
 *   chat:       the template's text, special-token texts in it parsed as special tokens; BOS added when the
 *               model asks for it and the template did not already write it
 *   completion: plain text, special-token look-alikes kept as text; BOS added when the model asks for it
 */
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { ChatTemplate, RenderOptions } from './chat_template.ts';

export function chatPromptIds(tok: Tokenizer, template: ChatTemplate, o: RenderOptions): { text: string; ids: number[] } {
  const text = template.render(o);
  const ids = tok.encode(text, { special: true, addSpecial: false });
  if (tok.addBos && tok.bos !== undefined && ids[0] !== tok.bos) ids.unshift(tok.bos);
  return { text, ids };
}

export function completionPromptIds(tok: Tokenizer, text: string): number[] {
  return tok.encode(text, { special: false, addSpecial: true });
}
