/**
 * llama.cpp (through node-llama-cpp, CPU build, no downloads) as the oracle for tabserve's model:
 * full-vocabulary logits at every prompt position, and greedy continuations.
 * Dev/test only: node-llama-cpp is a dev dependency. F32 KV cache and no flash attention, so
 * comparisons are tight (see shared/notes/references-and-test-data.md).
 */
import { getLlama, LlamaLogLevel, type Llama, type Token } from 'node-llama-cpp';

let llamaPromise: Promise<Llama> | undefined;
function llama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error, progressLogs: false });
  return llamaPromise;
}

export interface ReferenceRun {
  logits: Float32Array[]; // [prompt position][vocab]: logits predicting the token after that position
  greedy: number[]; // greedy continuation after the whole prompt
  nVocab: number;
}

/**
 * Runs `ids` through llama.cpp, returning logits at every position and `greedyTokens` greedy tokens.
 * Callers pass token ids (BOS included if wanted): no tokenization happens here.
 */
export async function llamaCppReference(modelPath: string, ids: number[], greedyTokens = 0, o: { contextSize?: number } = {}): Promise<ReferenceRun> {
  const l = await llama();
  const model = await l.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: o.contextSize ?? Math.max(64, ids.length + greedyTokens + 8), // phi3 picks its rope factors by it
    batchSize: Math.max(32, ids.length),
    threads: 2, // the default spins more threads than these 2-core machines have
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
  });
  try {
    const seq = context.getSequence();
    const res = await seq.controlledEvaluate(
      ids.map((t) => [t as Token, { generateNext: { logits: true, token: true, options: { temperature: 0 } } }]),
    );
    // the logits map covers the whole vocabulary; its size is the vocabulary size
    const nVocab = res[0]?.next.logits?.size ?? 0;
    const toArray = (m: Map<Token, number> | undefined) => {
      if (!m || m.size !== nVocab) throw new Error('llama.cpp returned no full-vocabulary logits');
      const out = new Float32Array(nVocab);
      for (const [t, v] of m) out[t] = v;
      return out;
    };
    const logits = res.map((r) => toArray(r?.next.logits));
    const greedy: number[] = [];
    let next = res[res.length - 1]?.next.token;
    while (greedy.length < greedyTokens && next != null) {
      greedy.push(next);
      const [r] = await seq.controlledEvaluate([[next, { generateNext: { token: true, options: { temperature: 0 } } }]]);
      next = r?.next.token;
    }
    return { logits, greedy, nVocab };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

/** Tokenizes with llama.cpp (special tokens parsed), for checking that a file's vocabulary loads. */
export async function llamaCppTokenize(modelPath: string, text: string): Promise<number[]> {
  const l = await llama();
  const model = await l.loadModel({ modelPath, gpuLayers: 0, vocabOnly: true });
  try {
    return model.tokenize(text, true).map(Number);
  } finally {
    await model.dispose();
  }
}
