/**
 * One assistant answer, streamed through the `openai` SDK from any OpenAI-compatible server (tabserve's
 * Service Worker in the app), with client-side timings; and every failure as a sentence a user can act on.
 */
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { AnswerStats, ChatSettings, RequestMessage } from './conversations.ts';

export interface StreamAnswerOptions {
  client: OpenAI;
  model: string;
  /** The whole request, system prompt included (see requestMessages). */
  messages: RequestMessage[];
  settings: ChatSettings;
  /** Aborting stops the answer: streamAnswer then resolves with the text so far (finishReason 'stopped'). */
  signal: AbortSignal;
  /** Called on every new piece of text with the whole answer so far. */
  onText(text: string): void;
  /** Clock in milliseconds (tests pass a fake one); performance.now by default. */
  now?: () => number;
}

export interface AnswerResult {
  content: string;
  stats: AnswerStats;
  /** 'stop' | 'length' | ... from the server, 'stopped' when aborted, null when the stream ended without one. */
  finishReason: string | null;
}

/** The streaming request body. `top_k` is not an OpenAI field: the SDK sends unknown fields as they are. */
export type ChatRequestBody = ChatCompletionCreateParamsStreaming & { top_k?: number };

/** Settings → request body: null settings (top_k off, random seed) are left out, not sent as null. */
export function requestBody(model: string, messages: RequestMessage[], settings: ChatSettings): ChatRequestBody {
  const body: ChatRequestBody = {
    model,
    messages,
    temperature: settings.temperature,
    top_p: settings.top_p,
    max_tokens: settings.max_tokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (settings.top_k !== null) body.top_k = settings.top_k;
  if (settings.seed !== null) body.seed = settings.seed;
  return body;
}

/**
 * Timings → stats. ttft: request start → first text. tokens/s: the tokens after the first over the time
 * after the first (the first token's time is the prompt's, already in ttft); 0 when there is nothing to
 * divide (one token, or no time measured).
 */
export function answerStats(t: { start: number; firstToken: number | null; end: number; completionTokens: number; promptTokens: number }): AnswerStats {
  const first = t.firstToken ?? t.end;
  const decodeSeconds = (t.end - first) / 1000;
  const tokensPerSecond = t.completionTokens > 1 && decodeSeconds > 0 ? (t.completionTokens - 1) / decodeSeconds : 0;
  return { ttftMs: Math.max(0, first - t.start), tokensPerSecond, completionTokens: t.completionTokens, promptTokens: t.promptTokens };
}

/**
 * Streams one answer. Resolves with the text, stats and finish reason, also when stopped through `signal`;
 * throws an Error whose message is describeError's sentence (the SDK's error as its `cause`).
 */
export async function streamAnswer(opts: StreamAnswerOptions): Promise<AnswerResult> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  let content = '';
  let firstToken: number | null = null;
  let pieces = 0; // content deltas: the token count when the server sends no usage
  let finishReason: string | null = null;
  let usage: { completion_tokens: number; prompt_tokens: number } | undefined;
  try {
    const stream = await opts.client.chat.completions.create(requestBody(opts.model, opts.messages, opts.settings), { signal: opts.signal });
    // the SDK ends this loop quietly when the signal aborts mid-stream
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      const piece = choice.delta?.content;
      if (piece) {
        firstToken ??= now();
        content += piece;
        pieces++;
        opts.onText(content);
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
  } catch (e) {
    // aborted before the response came: the SDK throws APIUserAbortError; that is a stop, not a failure
    if (!opts.signal.aborted) throw new Error(describeError(e), { cause: e });
  }
  if (opts.signal.aborted && finishReason === null) finishReason = 'stopped';
  const stats = answerStats({ start, firstToken, end: now(), completionTokens: usage?.completion_tokens ?? pieces, promptTokens: usage?.prompt_tokens ?? 0 });
  return { content, stats, finishReason };
}

/** The server's own message, without the SDK's "503 " prefix. */
function serverMessage(e: APIError): string {
  const body = e.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : e.message;
  return text.replace(/^\d{3}\s+/, '').trim();
}

/** Ends with a full stop, so it can be followed by what to do. */
const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

/**
 * Any failure of a chat request as plain words: what happened and what to do about it. Checks the error
 * code first (also set on errors that arrive inside the stream, which have no HTTP status), then the status.
 */
export function describeError(e: unknown): string {
  if (e instanceof APIUserAbortError || (e instanceof Error && e.name === 'AbortError')) return 'Stopped.';
  if (e instanceof APIConnectionError || (e instanceof TypeError && /fetch|network/i.test(e.message))) {
    return 'Could not reach the model server (the connection failed). Check that the page is still online and the model is loaded, then resend.';
  }
  if (e instanceof APIError) {
    const said = serverMessage(e);
    switch (e.code) {
      case 'model_loading':
        return 'The model is still loading — wait a moment and resend.';
      case 'kv_cache_full':
        return 'The server is busy with other requests — wait a moment and resend.';
      case 'context_length_exceeded':
        return "The conversation is too long for this model's context: start a new conversation or lower max tokens.";
    }
    const status = e.status;
    if (status === 503) return 'The model is still loading — wait a moment and resend.';
    if (status === 429) return 'The server is busy with other requests — wait a moment and resend.';
    if (status === 404) return `The server does not have this model (${sentence(said)}) Load the model again or pick another, then resend.`;
    if (status === 400 || status === 422) return `The server refused the request: ${sentence(said)} Check the settings, then resend.`;
    if (status !== undefined && status >= 500) {
      const retry = e.headers?.get('x-should-retry') === 'false';
      return retry
        ? `The model failed: ${sentence(said)} Reload the page to start it again.`
        : `The server failed: ${sentence(said)} Resend, or reload the page if it keeps happening.`;
    }
    return `The request failed: ${sentence(said)} Resend, or reload the page if it keeps happening.`;
  }
  const message = e instanceof Error ? e.message : String(e);
  return `Something went wrong: ${sentence(message)} Resend, or reload the page if it keeps happening.`;
}
