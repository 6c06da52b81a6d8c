/**
 * POST /v1/chat/completions once validated: the conversation through the model's chat template, then
 * the choices (run.ts) as one chat.completion or as chat.completion.chunk events.
 * Stream order per choice: a role chunk (`role: "assistant"`, `content: ""`), content chunks (one per
 * token that completed some text, or per token when logprobs are asked for), a finish chunk with an empty
 * delta; then, with include_usage, a `choices: []` chunk with the usage; then [DONE].
 */
import type { ChatCompletionTokenLogprob } from 'openai/resources/chat/completions';
import { chatPromptIds } from '../template/prompt_ids.ts';
import type { ChatRequest } from './chat_request.ts';
import { contextCheck, type ReadyModel } from './serve_common.ts';
import {
  chatChunk,
  chatChunkChoice,
  chatCompletion,
  chatLogprobs,
  chatTokenLogprob,
  newResponseId,
  unixSeconds,
  usage,
  type ChatChoiceResult,
  type ChatDelta,
  type ChatLogprobs,
  type ResponseMeta,
  type WireFinishReason,
} from './responses.ts';
import { runChoices, type ChoiceEvent, type RunUsage } from './run.ts';
import { SSE_DONE, sseEvent } from './sse.ts';
import { jsonResponse, sseResponse } from './stream.ts';

export async function serveChat(req: ChatRequest, m: ReadyModel, request: Request): Promise<Response> {
  const { engine, tokenizer } = m;
  const { ids } = chatPromptIds(tokenizer, m.template, { messages: req.messages, tools: req.tools, extra: req.templateVars });
  contextCheck(ids.length, req.sampling.max_tokens, engine.contextTokens, 'messages');
  const meta: ResponseMeta = { id: newResponseId('chatcmpl'), created: unixSeconds(), model: m.id };
  const abort = new AbortController(); // aborted by the response (stream.ts) when the client goes away
  const runUsage: RunUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  const events = runChoices([ids], { engine, tokenizer, params: req.sampling, n: req.n, signal: abort.signal, continues: false, scorePrompt: false, generate: true }, runUsage);
  const logprobOf = (ev: Extract<ChoiceEvent, { kind: 'token' }>): ChatCompletionTokenLogprob | undefined =>
    req.sampling.logprobs && ev.logprob !== undefined ? chatTokenLogprob(tokenizer, ev.token, ev.logprob, ev.topLogprobs) : undefined;

  const o = { abort, request, promptParam: 'messages' };
  if (req.stream) return sseResponse(chatStream(events, meta, req, runUsage, logprobOf, abort.signal), o);
  const choices = new Map<number, ChatChoiceResult>();
  const fold = (ev: ChoiceEvent): void => {
    if (ev.kind === 'start') choices.set(ev.index, { index: ev.index, text: '', finishReason: 'length', logprobs: req.sampling.logprobs ? chatLogprobs([]) : null });
    const c = choices.get(ev.index)!;
    if (ev.kind === 'token' || ev.kind === 'text') c.text += ev.text;
    if (ev.kind === 'token') {
      const lp = logprobOf(ev);
      if (lp) c.logprobs!.content!.push(lp);
    }
    if (ev.kind === 'done' && ev.finishReason !== 'cancelled') c.finishReason = ev.finishReason;
  };
  const result = () => chatCompletion(meta, [...choices.values()].sort((a, b) => a.index - b.index), usage(runUsage));
  return jsonResponse(events, fold, result, o);
}

async function* chatStream(
  events: AsyncGenerator<ChoiceEvent>,
  meta: ResponseMeta,
  req: ChatRequest,
  runUsage: RunUsage,
  logprobOf: (ev: Extract<ChoiceEvent, { kind: 'token' }>) => ChatCompletionTokenLogprob | undefined,
  aborted: AbortSignal,
): AsyncGenerator<string> {
  const u = req.includeUsage ? null : undefined;
  const chunk = (index: number, delta: ChatDelta, finish: WireFinishReason | null = null, lp: ChatLogprobs | null = null): string =>
    sseEvent(chatChunk(meta, [chatChunkChoice(index, delta, finish, lp)], u));
  for await (const ev of events) {
    switch (ev.kind) {
      case 'start':
        yield chunk(ev.index, { role: 'assistant', content: '' });
        break;
      case 'token': {
        const lp = logprobOf(ev);
        if (ev.text !== '' || lp) yield chunk(ev.index, { content: ev.text }, null, lp ? chatLogprobs([lp]) : null);
        break;
      }
      case 'text':
        if (ev.text !== '') yield chunk(ev.index, { content: ev.text });
        break;
      case 'done':
        if (ev.finishReason === 'cancelled') return; // the client is gone: nothing more to say
        yield chunk(ev.index, {}, ev.finishReason);
        break;
    }
  }
  if (aborted.aborted) return;
  if (req.includeUsage) yield sseEvent(chatChunk(meta, [], usage(runUsage)));
  yield SSE_DONE;
}
