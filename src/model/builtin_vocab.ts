/**
 * A small built-in SentencePiece-style vocabulary (tokenizer.ggml.model = "llama") with byte fallback
 * and a ChatML chat template, for test models made without --vocab-from.
 *
 * ids: 0 <unk>, 1 <s>, 2 </s>, 3 <|im_start|>, 4 <|im_end|>, 5..260 bytes <0x00>..<0xFF>, then pieces.
 * Pieces are every prefix of a set of common words (with and without the "▁" word mark), so the
 * SentencePiece merge of adjacent pieces can always reach a whole word; longer pieces score higher.
 */
import { meta, type MetaEntry } from '../gguf/writer.ts';

const WORDS = `the of and to a in is it you that he was for on are with as I his they be at one have this from
or had by hot word but what some we can out other were all there when up use your how said an each she which
do their time if will way about many then them write would like so these her long make thing see him two has look
more day could go come did number sound no most people my over know water than call first who may down side been
now find any new work part take get place made live where after back little only round man year came show every
good me give our under name very through just form sentence great think say help low line differ turn cause much
mean before move right boy old too same tell does set three want air well also play small end put home read hand
hello world user assistant system model token tab serve chat answer question yes please thank`.split(/\s+/);

// ChatML, as used by Qwen and SmolLM: <|im_start|>role\ncontent<|im_end|>\n ... <|im_start|>assistant\n
export const BUILTIN_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const TYPE_NORMAL = 1;
const TYPE_UNKNOWN = 2;
const TYPE_CONTROL = 3;
const TYPE_BYTE = 6;

export function builtinVocab(): Record<string, MetaEntry> {
  const tokens = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'];
  const types = [TYPE_UNKNOWN, TYPE_CONTROL, TYPE_CONTROL, TYPE_CONTROL, TYPE_CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TYPE_BYTE);
  }
  const pieces = new Set<string>(['▁']);
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:\'"-()[]{}<>/\\|@#$%^&*_+=~`\n';
  for (const c of chars) {
    pieces.add(c);
    pieces.add('▁' + c);
  }
  for (const w of WORDS) {
    for (const mark of ['▁', '']) {
      const full = mark + w;
      for (let i = 2; i <= full.length; i++) pieces.add(full.slice(0, i));
    }
  }
  const ordered = [...pieces];
  const scores = tokens.map(() => 0);
  ordered.forEach((p, i) => {
    tokens.push(p);
    types.push(TYPE_NORMAL);
    scores.push(p.length - i * 1e-4); // merge longer pieces first; ties broken by order
  });
  return {
    'tokenizer.ggml.model': meta.str('llama'),
    'tokenizer.ggml.pre': meta.str('default'),
    'tokenizer.ggml.tokens': meta.strs(tokens),
    'tokenizer.ggml.scores': meta.f32s(scores),
    'tokenizer.ggml.token_type': meta.i32s(types),
    'tokenizer.ggml.bos_token_id': meta.u32(1),
    'tokenizer.ggml.eos_token_id': meta.u32(2),
    'tokenizer.ggml.eot_token_id': meta.u32(4),
    'tokenizer.ggml.unknown_token_id': meta.u32(0),
    'tokenizer.ggml.add_bos_token': meta.bool(true),
    'tokenizer.ggml.add_eos_token': meta.bool(false),
    'tokenizer.chat_template': meta.str(BUILTIN_CHAT_TEMPLATE),
  };
}
