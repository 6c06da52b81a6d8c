/**
 * POST /v1/chat/completions once validated: the conversation through the model's chat template, then
 * the choices (run.ts) as one chat.completion or as chat.completion.chunk events.
 * Stream order per choice: a role chunk (`role: "assistant"`, `content: ""`), content chunks (one per
 * token that completed some text, or per token when logprobs are asked for), a finish chunk with an empty
 * delta; then, with include_usage, a `choices: []` chunk with the usage; then [DONE].
 * With tools (tool_choice not "none") the text goes through the model's tool-call parser (tool_parser.ts):
 * a call's first delta carries its index, id, type and name, later ones fragments of its arguments; text
 * outside calls stays content; a choice that called tools and ended by itself finishes with "tool_calls".
 * response_format and forced tool calls decode under a grammar (tool_calls.ts, src/grammar).
 */
import type { ChatCompletionTokenLogprob } from 'openai/resources/chat/completions';
import { Grammars } from '../grammar/grammar.ts';
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
import { chatGrammar, toolUse, withToolPrompt } from './tool_calls.ts';
import { ToolCallParser, type ToolEvent } from './tool_parser.ts';

export async function serveChat(req: ChatRequest, m: ReadyModel, request: Request): Promise<Response> {
  const { engine, tokenizer } = m;
  const tools = req.tools && req.toolChoice !== 'none' ? req.tools : undefined;
  const use = tools ? toolUse(m.template.source) : undefined;
  const messages = tools && !use!.native ? withToolPrompt(req.messages, tools) : req.messages;
  const { ids } = chatPromptIds(tokenizer, m.template, { messages, tools: use?.native ? tools : undefined, extra: req.templateVars });
  contextCheck(ids.length, req.sampling.max_tokens, engine.contextTokens, 'messages');
  const spec = chatGrammar(req, use?.syntax);
  const grammars = spec ? await Grammars.of(tokenizer) : undefined;
  if (spec) await grammars!.compile(spec); // before the response starts: a failure is a plain error response
  const meta: ResponseMeta = { id: newResponseId('chatcmpl'), created: unixSeconds(), model: m.id };
  const abort = new AbortController(); // aborted by the response (stream.ts) when the client goes away
  const runUsage: RunUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  const constraint = spec ? () => grammars!.constraint(spec) : undefined;
  const events = runChoices([ids], { engine, tokenizer, params: req.sampling, n: req.n, signal: abort.signal, continues: false, scorePrompt: false, generate: true, constraint }, runUsage);
  const logprobOf = (ev: Extract<ChoiceEvent, { kind: 'token' }>): ChatCompletionTokenLogprob | undefined =>
    req.sampling.logprobs && ev.logprob !== undefined ? chatTokenLogprob(tokenizer, ev.token, ev.logprob, ev.topLogprobs) : undefined;
  const parsers = new Map<number, ToolCallParser>(); // per choice, with tools
  const parse = (index: number, text: string, end = false): ToolEvent[] | undefined => {
    if (!use) return undefined;
    let p = parsers.get(index);
    if (!p) parsers.set(index, (p = new ToolCallParser(use.syntax)));
    return [...p.push(text), ...(end ? p.end() : [])];
  };
  const finish = (index: number, reason: 'stop' | 'length'): WireFinishReason => (reason === 'stop' && (parsers.get(index)?.calls ?? 0) > 0 ? 'tool_calls' : reason);

  const o = { abort, request, promptParam: 'messages' };
  if (req.stream) return sseResponse(chatStream(events, meta, req, runUsage, logprobOf, parse, finish, abort.signal), o);
  const choices = new Map<number, ChatChoiceResult>();
  const apply = (c: ChatChoiceResult, text: string, evs: ToolEvent[] | undefined): void => {
    if (!evs) c.text += text;
    else for (const e of evs) {
      if (e.kind === 'content') c.text += e.text;
      else if (e.kind === 'call') (c.toolCalls ??= []).push({ id: e.id, type: 'function', function: { name: e.name, arguments: '' } });
      else c.toolCalls![e.index].function.arguments += e.text;
    }
  };
  const fold = (ev: ChoiceEvent): void => {
    if (ev.kind === 'start') choices.set(ev.index, { index: ev.index, text: '', finishReason: 'length', logprobs: req.sampling.logprobs ? chatLogprobs([]) : null });
    const c = choices.get(ev.index)!;
    if (ev.kind === 'token' || ev.kind === 'text') apply(c, ev.text, parse(ev.index, ev.text));
    if (ev.kind === 'token') {
      const lp = logprobOf(ev);
      if (lp) c.logprobs!.content!.push(lp);
    }
    if (ev.kind === 'done') {
      apply(c, '', parse(ev.index, '', true));
      if (ev.finishReason !== 'cancelled') c.finishReason = finish(ev.index, ev.finishReason);
    }
  };
  const result = () => chatCompletion(meta, [...choices.values()].sort((a, b) => a.index - b.index), usage(runUsage));
  return jsonResponse(events, fold, result, o);
}

/** Stream deltas for parsed tool events (content, a call's header, argument fragments). */
function toolDeltas(evs: readonly ToolEvent[]): ChatDelta[] {
  return evs.map((e): ChatDelta => {
    if (e.kind === 'content') return { content: e.text };
    if (e.kind === 'call') return { tool_calls: [{ index: e.index, id: e.id, type: 'function', function: { name: e.name, arguments: '' } }] };
    return { tool_calls: [{ index: e.index, function: { arguments: e.text } }] };
  });
}

async function* chatStream(
  events: AsyncGenerator<ChoiceEvent>,
  meta: ResponseMeta,
  req: ChatRequest,
  runUsage: RunUsage,
  logprobOf: (ev: Extract<ChoiceEvent, { kind: 'token' }>) => ChatCompletionTokenLogprob | undefined,
  parse: (index: number, text: string, end?: boolean) => ToolEvent[] | undefined,
  finish: (index: number, reason: 'stop' | 'length') => WireFinishReason,
  aborted: AbortSignal,
): AsyncGenerator<string> {
  const u = req.includeUsage ? null : undefined;
  const chunk = (index: number, delta: ChatDelta, finish: WireFinishReason | null = null, lp: ChatLogprobs | null = null): string =>
    sseEvent(chatChunk(meta, [chatChunkChoice(index, delta, finish, lp)], u));
  /** The chunks for new text of a choice: plain content, or what the tool-call parser made of it. */
  function* text(index: number, t: string, lp: ChatLogprobs | null, end = false): Generator<string> {
    const evs = parse(index, t, end);
    const deltas = evs ? toolDeltas(evs) : t !== '' ? [{ content: t }] : [];
    if (deltas.length === 0 && lp) deltas.push({ content: '' });
    for (const [j, d] of deltas.entries()) yield chunk(index, d, null, j === 0 ? lp : null);
  }
  for await (const ev of events) {
    switch (ev.kind) {
      case 'start':
        yield chunk(ev.index, { role: 'assistant', content: '' });
        break;
      case 'token': {
        const lp = logprobOf(ev);
        yield* text(ev.index, ev.text, lp ? chatLogprobs([lp]) : null);
        break;
      }
      case 'text':
        yield* text(ev.index, ev.text, null);
        break;
      case 'done':
        if (ev.finishReason === 'cancelled') return; // the client is gone: nothing more to say
        yield* text(ev.index, '', null, true);
        yield chunk(ev.index, {}, finish(ev.index, ev.finishReason));
        break;
    }
  }
  if (aborted.aborted) return;
  if (req.includeUsage) yield sseEvent(chatChunk(meta, [], usage(runUsage)));
  yield SSE_DONE;
}
