/**
 * End-of-generation tokens: the model's EOS/EOT ids ("eog", from GGUF metadata such as
 * tokenizer.ggml.eos_token_id / eot_token_id / eom_token_id) and the request's stop_token_ids.
 *
 *   min_tokens  eog and stop_token_ids are masked to -inf while fewer than min_tokens were generated
 *               (vLLM semantics), so the model must keep going.
 *   ignore_eos  eog ids are masked for the whole request (llama.cpp semantics) and never end it;
 *               stop_token_ids still end it.
 * A token that ends generation is not detokenized into the output; finish_reason is "stop" for both kinds.
 *
 * Per step:  banned = endTokenMask(params, eog, n); token = sample(..., banned).token;
 *            if (endsGeneration(token, params, eog, n)) finish 'stop' else emit it; n++.
 */
import type { SamplingParams } from './params.ts';

export type TokenEnd = 'eog' | 'stop_token';

/** Ids to ban for the token about to be sampled, when `generated` tokens were generated before it. */
export function endTokenMask(params: SamplingParams, eog: readonly number[], generated: number): number[] {
  const early = generated < params.min_tokens;
  if (!early && !params.ignore_eos) return [];
  const out = new Set<number>(eog);
  if (early) for (const id of params.stop_token_ids) out.add(id);
  return [...out];
}

/**
 * Whether `token` (the one sampled after `generated` tokens) ends generation, and why. Before min_tokens
 * nothing ends it (such a token could only come from the sampler's all-banned fallback); with ignore_eos an
 * eog token does not end it.
 */
export function endsGeneration(token: number, params: SamplingParams, eog: readonly number[], generated: number): TokenEnd | null {
  if (generated < params.min_tokens) return null;
  if (params.stop_token_ids.includes(token)) return 'stop_token';
  if (!params.ignore_eos && eog.includes(token)) return 'eog';
  return null;
}
