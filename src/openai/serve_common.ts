/** What the chat and completions routes share once a request is valid: the ready model, context checks, aborts. */
import type { Engine } from '../engine/engine.ts';
import type { ChatTemplate } from '../template/chat_template.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { ApiError, badRequest } from './errors.ts';

export interface ReadyModel {
  id: string;
  engine: Engine;
  tokenizer: Tokenizer;
  template: ChatTemplate;
}

/**
 * 400 context_length_exceeded when the prompt leaves no room to generate (or, for a prompt that is only
 * scored, does not fit), or when prompt + max_tokens (as given) exceeds the context. Without max_tokens
 * generation simply stops when the context is full (finish_reason "length").
 */
export function contextCheck(promptTokens: number, maxTokens: number | undefined, contextTokens: number, param: 'messages' | 'prompt', generating = true): void {
  const what = param === 'messages' ? 'messages' : 'prompt';
  const head = `This model's maximum context length is ${contextTokens} tokens.`;
  if (generating ? promptTokens >= contextTokens : promptTokens > contextTokens) {
    const room = generating ? ', which leaves no room for the completion' : '';
    throw badRequest(`${head} However, your ${what} resulted in ${promptTokens} tokens${room}. Please reduce the length of the ${what}.`, param, 'context_length_exceeded');
  }
  if (generating && maxTokens !== undefined && promptTokens + maxTokens > contextTokens) {
    throw badRequest(
      `${head} However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the ${what}, ${maxTokens} in the completion). Please reduce the length of the ${what} or completion.`,
      param,
      'context_length_exceeded',
    );
  }
}

/**
 * The answer to a request whose client went away before a non-streamed response was ready. Nobody reads
 * it; 499 is the conventional "client closed request" status (nginx), not an OpenAI one.
 */
export const clientGone = (): Response => new ApiError(499, 'the client closed the request', 'invalid_request_error', null, 'client_closed_request').toResponse();
