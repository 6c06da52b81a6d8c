/**
 * llama.cpp's tokenizer (node-llama-cpp, vocab only) as the reference in tests. Dev/test only.
 * One load per file; tokenize() takes the same `special` switch as Tokenizer.encode and adds no BOS.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { writeGguf } from '../gguf/writer.ts';
import { builtinVocab } from '../model/builtin_vocab.ts';
import { buildTestModel, TEST_MODEL_DEFAULTS } from '../model/test_model.ts';
import { tempDir } from '../testing/paths.ts';

export interface LlamaCppVocab {
  tokenize(text: string, special: boolean): number[];
  /** llama_detokenize of one token with special tokens rendered (a SentencePiece leading space is stripped). */
  piece(id: number): string;
  bos: number | undefined;
  eos: number | undefined;
  eot: number | undefined;
  addBos: boolean;
  isEog(id: number): boolean;
  isControl(id: number): boolean;
  dispose(): Promise<void>;
}

export async function openLlamaCppVocab(path: string): Promise<LlamaCppVocab> {
  // logs off: it reports a bogus "missing tensor" for vocab-only files; real failures still throw
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.disabled, progressLogs: false });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0, vocabOnly: true });
  const t = model.tokens;
  const opt = (id: number | null) => (id === null ? undefined : Number(id));
  return {
    tokenize: (text, special) => model.tokenize(text, special).map(Number),
    piece: (id) => model.detokenize([id as Token], true),
    bos: opt(t.bos),
    eos: opt(t.eos),
    eot: opt(t.eot),
    addBos: t.shouldPrependBosToken,
    isEog: (id) => model.isEogToken(id as Token),
    isControl: (id) => model.getTokenAttributes(id as Token).control,
    dispose: () => model.dispose(),
  };
}

/** A tiny generated llama model carrying the built-in vocabulary (llama.cpp wants a whole model file). */
export async function writeBuiltinVocabModel(): Promise<string> {
  const { metadata, tensors } = buildTestModel({
    ...TEST_MODEL_DEFAULTS,
    embd: 32,
    layers: 1,
    heads: 2,
    kvHeads: 1,
    ff: 32,
    ctx: 64,
    tiedEmbeddings: true,
    vocab: builtinVocab(),
  });
  const path = join(tempDir('tabserve-vocab-'), 'builtin.gguf');
  await writeFile(path, writeGguf(metadata, tensors));
  return path;
}
