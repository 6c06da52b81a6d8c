/**
 * POST /v1/completions once validated: each prompt tokenized as plain text (BOS when the model wants it;
 * token-id prompts are used as given), its n choices run (run.ts), then one text_completion or a stream
 * of them (one per token that completed text, then a finish chunk per choice, the usage chunk with
 * include_usage, [DONE]).
 * echo: the prompt text comes first (the string as sent; token prompts decoded without control tokens);
 * with logprobs every prompt token is scored too (the first has null logprob and null top_logprobs).
 * text_offset: where each token's text starts in the choice's text, in code points (Python's len, as
 * OpenAI's servers count). An echoed prompt's offsets come from decoding its tokens one by one and are
 * capped at the echoed text's length, since the sent string and its decoded tokens can differ slightly.
 */
import { TextStream } from '../tokenizer/stream.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { completionPromptIds } from '../template/prompt_ids.ts';
import { COMPLETIONS_DEFAULT_MAX_TOKENS, type CompletionRequest } from './completion_request.ts';
import { badRequest } from './errors.ts';
import {
  codePoints,
  emptyLegacyLogprobs,
  newResponseId,
  pushLegacyLogprob,
  textCompletion,
  unixSeconds,
  usage,
  type LegacyLogprobs,
  type ResponseMeta,
  type TextChoice,
} from './responses.ts';
import { runChoices, type ChoiceEvent, type PromptScore, type RunUsage } from './run.ts';
import { contextCheck, type ReadyModel } from './serve_common.ts';
import { SSE_DONE, sseEvent } from './sse.ts';
import { jsonResponse, sseResponse } from './stream.ts';

/** What one event adds to a choice. */
interface Piece {
  text: string;
  logprobs: LegacyLogprobs | null;
}

/** Per-choice bookkeeping: the text offset (code points) so far, for text_offset. */
class ChoiceText {
  private offset = 0;

  constructor(
    private readonly tok: Tokenizer,
    private readonly logprobs: boolean,
  ) {}

  /** The echoed prompt (with its scores when logprobs were asked for), or nothing. */
  start(echo: { text: string; ids: readonly number[] } | undefined, score: PromptScore | undefined): Piece {
    if (!echo) return { text: '', logprobs: this.logprobs ? emptyLegacyLogprobs() : null };
    const echoLen = codePoints(echo.text);
    let lp: LegacyLogprobs | null = null;
    if (this.logprobs && score) {
      lp = emptyLegacyLogprobs();
      const pieces = new TextStream(this.tok, { skipSpecial: true });
      let at = 0;
      echo.ids.forEach((id, i) => {
        pushLegacyLogprob(lp!, this.tok, id, score.logprobs[i], score.top[i], Math.min(at, echoLen));
        at += codePoints(pieces.push(id));
      });
    }
    this.offset = echoLen;
    return { text: echo.text, logprobs: lp };
  }

  token(ev: Extract<ChoiceEvent, { kind: 'token' }>): Piece {
    let lp: LegacyLogprobs | null = null;
    if (this.logprobs && ev.logprob !== undefined) {
      lp = emptyLegacyLogprobs();
      pushLegacyLogprob(lp, this.tok, ev.token, ev.logprob, ev.topLogprobs ?? [], this.offset);
    }
    this.offset += codePoints(ev.text);
    return { text: ev.text, logprobs: lp };
  }

  text(text: string): Piece {
    this.offset += codePoints(text);
    return { text, logprobs: null };
  }
}

function append(c: TextChoice, p: Piece): void {
  c.text += p.text;
  if (!p.logprobs) return;
  c.logprobs ??= emptyLegacyLogprobs();
  c.logprobs.tokens.push(...p.logprobs.tokens);
  c.logprobs.token_logprobs.push(...p.logprobs.token_logprobs);
  c.logprobs.top_logprobs.push(...p.logprobs.top_logprobs);
  c.logprobs.text_offset.push(...p.logprobs.text_offset);
}

export async function serveCompletion(req: CompletionRequest, m: ReadyModel, request: Request): Promise<Response> {
  const { engine, tokenizer } = m;
  const prompts = req.prompts.map((p) => (p.kind === 'text' ? completionPromptIds(tokenizer, p.text) : p.ids));
  prompts.forEach((ids, i) => {
    if (ids.length === 0) throw badRequest(`${req.prompts.length > 1 ? `prompt[${i}]` : 'prompt'} is empty`, 'prompt');
    contextCheck(ids.length, req.sampling.max_tokens, engine.contextTokens, 'prompt', !req.echoOnly);
  });
  const echoes = req.prompts.map((p, i) => (req.echo ? { text: p.kind === 'text' ? p.text : tokenizer.decode(p.ids, { skipSpecial: true }), ids: prompts[i] } : undefined));
  // OpenAI's default of 16 tokens, raised to min_tokens when that asks for more.
  const params = { ...req.sampling, max_tokens: req.sampling.max_tokens ?? Math.max(COMPLETIONS_DEFAULT_MAX_TOKENS, req.sampling.min_tokens) };
  const meta: ResponseMeta = { id: newResponseId('cmpl'), created: unixSeconds(), model: m.id };
  const abort = new AbortController(); // aborted by the response (stream.ts) when the client goes away
  const runUsage: RunUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
  const events = runChoices(
    prompts,
    { engine, tokenizer, params, n: req.n, signal: abort.signal, continues: true, scorePrompt: req.echo && req.sampling.logprobs, generate: !req.echoOnly },
    runUsage,
  );
  const states = new Map<number, ChoiceText>();
  const piece = (ev: Exclude<ChoiceEvent, { kind: 'done' }>): Piece => {
    if (ev.kind === 'start') {
      const s = new ChoiceText(tokenizer, req.sampling.logprobs);
      states.set(ev.index, s);
      return s.start(echoes[ev.promptIndex], ev.score);
    }
    const s = states.get(ev.index)!;
    return ev.kind === 'token' ? s.token(ev) : s.text(ev.text);
  };

  const o = { abort, request, promptParam: 'prompt' };
  if (req.stream) return sseResponse(completionStream(events, meta, req.includeUsage, runUsage, piece, abort.signal), o);
  const choices = new Map<number, TextChoice>();
  const fold = (ev: ChoiceEvent): void => {
    if (ev.kind === 'start') choices.set(ev.index, { index: ev.index, text: '', logprobs: null, finish_reason: null });
    const c = choices.get(ev.index)!;
    if (ev.kind === 'done') c.finish_reason = ev.finishReason === 'cancelled' ? null : ev.finishReason;
    else append(c, piece(ev));
  };
  const result = () => textCompletion(meta, [...choices.values()].sort((a, b) => a.index - b.index), usage(runUsage));
  return jsonResponse(events, fold, result, o);
}

async function* completionStream(
  events: AsyncGenerator<ChoiceEvent>,
  meta: ResponseMeta,
  includeUsage: boolean,
  runUsage: RunUsage,
  piece: (ev: Exclude<ChoiceEvent, { kind: 'done' }>) => Piece,
  aborted: AbortSignal,
): AsyncGenerator<string> {
  const u = includeUsage ? null : undefined;
  for await (const ev of events) {
    if (ev.kind === 'done') {
      if (ev.finishReason === 'cancelled') return; // the client is gone
      yield sseEvent(textCompletion(meta, [{ index: ev.index, text: '', logprobs: null, finish_reason: ev.finishReason }], u));
      continue;
    }
    const p = piece(ev);
    // A start without echo, or a token still holding back its text, adds nothing worth a chunk.
    if (p.text === '' && !(p.logprobs && p.logprobs.tokens.length > 0)) continue;
    yield sseEvent(textCompletion(meta, [{ index: ev.index, text: p.text, logprobs: p.logprobs, finish_reason: null }], u));
  }
  if (aborted.aborted) return;
  if (includeUsage) yield sseEvent(textCompletion(meta, [], usage(runUsage)));
  yield SSE_DONE;
}
