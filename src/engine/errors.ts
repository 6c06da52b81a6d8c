/** Engine failures a caller can act on, by code. GGUF problems are GgufError (src/gguf/errors.ts). */
export type EngineErrorCode =
  | 'device-lost' // the GPU device was lost: load the model again
  | 'gpu' // a WebGPU validation or out-of-memory error while running
  | 'too-large' // the model or KV pool does not fit the adapter
  | 'context-full' // a sequence would grow past the context length
  | 'kv-full' // no free KV pages left for this step
  | 'busy' // as many requests as the engine admits are running: retry shortly
  | 'bad-token' // a token id outside the vocabulary
  | 'bad-sequence' // an unknown or freed sequence id
  | 'grammar' // the grammar engine disagreed with itself (a bug, never the request's fault)
  | 'unloaded'; // the engine was unloaded

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}
