/**
 * Sizing the paged KV pool: one K and one V buffer per layer, each f16 (or f32) [nPages][pageSize][nKvHead][headDim].
 * A layer's buffer is bound whole, so it must fit the device's maxStorageBufferBindingSize and
 * maxBufferSize; the whole pool may be capped by a memory budget.
 */

/** Bytes of one page of K (or V) of one layer: f16 (as llama.cpp's default cache type), or f32. */
export function kvPageBytes(nKvHead: number, headDim: number, pageSize: number, f32 = false): number {
  return pageSize * nKvHead * headDim * (f32 ? 4 : 2);
}

export interface KvPoolRequest {
  nLayer: number;
  nKvHead: number;
  headDim: number; // elements per head
  pageSize: number; // tokens per page
  maxTokens: number; // tokens over all sequences the pool should hold
  maxBindingBytes: number; // device limit maxStorageBufferBindingSize
  maxBufferBytes: number; // device limit maxBufferSize
  budgetBytes?: number; // cap on the whole pool (all layers, K and V)
  f32?: boolean; // f32 elements (else f16)
}

export interface KvPoolPlan {
  nPages: number;
  bytesPerLayerBuffer: number; // one layer's K (or V) buffer
  totalBytes: number; // 2 * nLayer * bytesPerLayerBuffer
}

/** As many pages as maxTokens needs, capped by the binding/buffer limits and the budget; throws if no page fits. */
export function planKvPool(r: KvPoolRequest): KvPoolPlan {
  for (const key of ['nLayer', 'nKvHead', 'headDim', 'pageSize', 'maxTokens'] as const) {
    if (!Number.isInteger(r[key]) || r[key] < 1) throw new Error(`KV pool: ${key} must be a positive integer, got ${r[key]}`);
  }
  const pageBytes = kvPageBytes(r.nKvHead, r.headDim, r.pageSize, r.f32);
  const want = Math.ceil(r.maxTokens / r.pageSize);
  const caps: [number, string][] = [
    [Math.floor(r.maxBindingBytes / pageBytes), `maxStorageBufferBindingSize (${r.maxBindingBytes} bytes)`],
    [Math.floor(r.maxBufferBytes / pageBytes), `maxBufferSize (${r.maxBufferBytes} bytes)`],
  ];
  if (r.budgetBytes !== undefined) caps.push([Math.floor(r.budgetBytes / (2 * r.nLayer * pageBytes)), `the KV budget (${r.budgetBytes} bytes)`]);
  let nPages = want;
  for (const [cap, what] of caps) {
    if (cap < 1) {
      const need = what.startsWith('the KV budget') ? 2 * r.nLayer * pageBytes : pageBytes;
      throw new Error(`not even one KV page (${r.pageSize} tokens, ${need} bytes) fits ${what}`);
    }
    nPages = Math.min(nPages, cap);
  }
  const bytesPerLayerBuffer = nPages * pageBytes;
  return { nPages, bytesPerLayerBuffer, totalBytes: 2 * r.nLayer * bytesPerLayerBuffer };
}
