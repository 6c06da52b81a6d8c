/**
 * The sampler's choice among a row's top k (read back from the GPU, kernels/topk.ts): exactly the token
 * sample() draws from the whole row when the request's top_k <= k (the same candidates, summed and drawn in
 * the same ascending id order; generate.ts). shaders/pick.wgsl makes the same choice on the GPU, in f32.
 */
import type { TopkRow } from '../kernels/topk.ts';
import type { SamplingParams } from './params.ts';
import { sample } from './sample.ts';

/** The CPU sampler's choice among the top k: the same candidates, summed and drawn in the same (id) order. */
export function pickFromTopk(row: TopkRow, p: SamplingParams, u: number): number {
  if (p.temperature === 0) return row.ids[0];
  const n = Math.min(p.top_k, row.ids.length);
  const order = Array.from({ length: n }, (_, j) => j).filter((j) => row.ids[j] >= 0).sort((a, b) => row.ids[a] - row.ids[b]);
  const logits = Float32Array.from(order, (j) => row.logits[j]);
  const plain: SamplingParams = { ...p, logit_bias: {}, repetition_penalty: 1, frequency_penalty: 0, presence_penalty: 0, top_k: 0, logprobs: false, top_logprobs: 0 };
  return row.ids[order[sample(logits, [], plain, u).token]];
}

