/**
 * OpenAI-style errors: one class carries the HTTP status, the error object
 * `{"error": {"message", "type", "param", "code"}}` and the headers that steer clients' retries
 * (`retry-after`; `x-should-retry: false` where a retry cannot help: the openai SDKs otherwise retry
 * 408/409/429/5xx twice). `toApiError` maps every failure the layers below throw onto one of them.
 */
import { EngineError } from '../engine/errors.ts';
import { SamplingParamError } from '../sampling/params.ts';
import { NoCandidatesError } from '../sampling/sample.ts';
import { TemplateError } from '../template/errors.ts';

/** The `type` values we send; the SDK picks its error class from the status, these are for people. */
export type ApiErrorType = 'invalid_request_error' | 'not_found_error' | 'server_error' | 'rate_limit_error';

export interface ErrorObject {
  message: string;
  type: ApiErrorType;
  param: string | null;
  code: string | null;
}

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The `error` member of the body (also what an SSE error event carries). */
  toObject(): ErrorObject {
    return { message: this.message, type: this.type, param: this.param, code: this.code };
  }

  toResponse(): Response {
    return new Response(JSON.stringify({ error: this.toObject() }), {
      status: this.status,
      headers: { 'content-type': 'application/json', ...this.headers },
    });
  }
}

/** 400: a bad field (`param` names it) or a body we cannot read (`param` null). */
export const badRequest = (message: string, param: string | null = null, code: string | null = null): ApiError =>
  new ApiError(400, message, 'invalid_request_error', param, code);

export const notFound = (message: string, param: string | null = null, code: string | null = null): ApiError =>
  new ApiError(404, message, 'invalid_request_error', param, code);

/** 500 that no retry fixes (a broken model, a lost device): the SDK must not resend. */
export const fatal = (message: string, code: string | null = null): ApiError =>
  new ApiError(500, message, 'server_error', null, code, { 'x-should-retry': 'false' });

/** Seconds a client should wait when the KV cache is full: other requests finish and free pages. */
export const KV_FULL_RETRY_AFTER_S = 1;

function fromEngine(e: EngineError, promptParam: string): ApiError {
  switch (e.code) {
    case 'kv-full':
      // Other requests hold the pages; they free them as they finish, so a retry soon may well succeed.
      return new ApiError(429, `the server is busy (${e.message}); retry shortly`, 'rate_limit_error', null, 'kv_cache_full', { 'retry-after': String(KV_FULL_RETRY_AFTER_S) });
    case 'busy':
      return new ApiError(429, `the server is busy (${e.message}); retry shortly`, 'rate_limit_error', null, 'server_busy', { 'retry-after': String(KV_FULL_RETRY_AFTER_S) });
    case 'context-full':
      return badRequest(e.message, promptParam, 'context_length_exceeded');
    case 'bad-token':
      return badRequest(e.message, promptParam);
    case 'device-lost':
    case 'unloaded':
    case 'too-large':
    case 'gpu':
      // The device or the model is gone or broken: the same request would fail the same way until a reload.
      return fatal(e.message, e.code.replace('-', '_'));
    case 'bad-sequence':
    case 'grammar':
      return new ApiError(500, `internal error: ${e.message}`, 'server_error');
  }
}

/**
 * Any failure as an ApiError. `promptParam` is the field a prompt-related failure names
 * (`messages` for chat, `prompt` for completions).
 */
export function toApiError(e: unknown, promptParam: string | null = null): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof SamplingParamError) return badRequest(e.message, e.param);
  if (e instanceof TemplateError) {
    // A broken template is the model file's fault; anything else is this conversation's (message named).
    if (e.kind === 'syntax') return fatal(e.message, 'template_error');
    return badRequest(e.message, e.messageIndex === undefined ? 'messages' : `messages[${e.messageIndex}]`, 'template_error');
  }
  if (e instanceof EngineError) return fromEngine(e, promptParam ?? 'prompt');
  if (e instanceof NoCandidatesError) return fatal(`the model produced no usable logits: ${e.message}`, 'bad_logits');
  const message = e instanceof Error ? e.message : String(e);
  return new ApiError(500, `internal error: ${message}`, 'server_error');
}
