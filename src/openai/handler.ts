/**
 * The OpenAI-compatible API as one fetch-style function, the same in the Service Worker and in Node:
 *   const response = await handle(request, host);
 * Routes:
 *   POST /v1/chat/completions   chat.ts
 *   POST /v1/completions        completions.ts
 *   GET  /v1/models             { object: "list", data: [model] }
 *   GET  /v1/models/{id}        the model, or 404 model_not_found
 *   GET  /health                200 { status: "ok" } when ready; 503 { status: "loading", progress } while loading
 * Anything else: 404 (unknown route) or 405 (known route, wrong method), as OpenAI error objects.
 * Generation routes answer 503 + retry-after while the model loads and 500 with x-should-retry: false
 * when it failed to load. Every failure is an OpenAI error object (errors.ts); handle() never throws.
 * Concurrent requests simply interleave: the engine serializes GPU work.
 */
import type { ModelHost } from './host.ts';
import { readChatRequest } from './chat_request.ts';
import { serveChat } from './chat.ts';
import { readCompletionRequest } from './completion_request.ts';
import { serveCompletion } from './completions.ts';
import { ApiError, badRequest, fatal, notFound, toApiError } from './errors.ts';
import type { RequestContext } from './request.ts';
import { modelList, modelObject } from './responses.ts';
import type { ReadyModel } from './serve_common.ts';

/** What the handler reads of a ModelHost (tests pass a plain object). */
export type HostView = Pick<ModelHost, 'id' | 'created' | 'state'>;

/** Seconds a client should wait before retrying while the model loads. */
export const LOADING_RETRY_AFTER_S = 5;

export async function handle(request: Request, host: HostView): Promise<Response> {
  let promptParam: string | null = null;
  try {
    const path = new URL(request.url).pathname.replace(/\/+$/, '') || '/';
    switch (path) {
      case '/health':
        allow(request, 'GET');
        return health(host);
      case '/v1/models':
        allow(request, 'GET');
        return Response.json(modelList([modelObject(host.id, host.created)]));
      case '/v1/chat/completions': {
        allow(request, 'POST');
        promptParam = 'messages';
        const m = readyModel(host);
        return await serveChat(readChatRequest(await bodyText(request), context(m)), m, request);
      }
      case '/v1/completions': {
        allow(request, 'POST');
        promptParam = 'prompt';
        const m = readyModel(host);
        return await serveCompletion(readCompletionRequest(await bodyText(request), context(m)), m, request);
      }
    }
    if (path.startsWith('/v1/models/')) {
      allow(request, 'GET');
      return modelById(host, path.slice('/v1/models/'.length));
    }
    throw notFound(`Invalid URL (${request.method} ${path})`, null, 'unknown_url');
  } catch (e) {
    return toApiError(e, promptParam).toResponse();
  }
}

function allow(request: Request, method: 'GET' | 'POST'): void {
  if (request.method === method) return;
  throw new ApiError(405, `Method ${request.method} is not allowed here; use ${method}`, 'invalid_request_error', null, 'method_not_allowed', { allow: method });
}

function health(host: HostView): Response {
  const s = host.state;
  if (s.kind === 'ready') return Response.json({ status: 'ok' });
  if (s.kind === 'loading') {
    const p = s.progress;
    const progress = p && p.totalBytes > 0 ? p.loadedBytes / p.totalBytes : 0;
    return Response.json({ status: 'loading', progress }, { status: 503, headers: { 'retry-after': String(LOADING_RETRY_AFTER_S) } });
  }
  return Response.json({ status: 'failed', error: s.error.message }, { status: 500, headers: { 'x-should-retry': 'false' } });
}

function modelById(host: HostView, encoded: string): Response {
  let id: string;
  try {
    id = decodeURIComponent(encoded); // ids such as "org/name" arrive as a path or escaped
  } catch {
    id = encoded;
  }
  if (id !== host.id) throw notFound(`The model \`${id}\` does not exist. This server serves \`${host.id}\`.`, 'model', 'model_not_found');
  return Response.json(modelObject(host.id, host.created));
}

/** The engine and friends, or the 503 / 500 that says why not. */
function readyModel(host: HostView): ReadyModel {
  const s = host.state;
  if (s.kind === 'ready') return { id: host.id, engine: s.engine, tokenizer: s.tokenizer, template: s.template };
  if (s.kind === 'loading') {
    const p = s.progress;
    const pct = p && p.totalBytes > 0 ? ` (${Math.floor((100 * p.loadedBytes) / p.totalBytes)}% loaded)` : '';
    throw new ApiError(503, `The model \`${host.id}\` is still loading${pct}; retry shortly.`, 'server_error', null, 'model_loading', { 'retry-after': String(LOADING_RETRY_AFTER_S) });
  }
  throw fatal(`The model \`${host.id}\` failed to load: ${s.error.message}`, 'model_load_failed');
}

function context(m: ReadyModel): RequestContext {
  // Ids must be valid for both: the tokenizer decodes them, the engine embeds them.
  return { modelId: m.id, nVocab: Math.min(m.tokenizer.nVocab, m.engine.hp.nVocab) };
}

async function bodyText(request: Request): Promise<string> {
  try {
    return await request.text();
  } catch (e) {
    throw badRequest(`could not read the request body: ${e instanceof Error ? e.message : String(e)}`);
  }
}
