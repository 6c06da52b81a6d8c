/**
 * A Response whose body an async generator of strings writes, with the three ways it can end early wired
 * to generation. Two kinds:
 *   - sseResponse: framed events (sse.ts);
 *   - jsonResponse: a non-streamed answer (one JSON text at the end). Its headers go out once the first
 *     choice started (the prompt was prefilled), not when the answer is complete, so that a client that
 *     gives up can cancel the body: a browser never aborts a Service Worker fetch event's request.signal,
 *     and a body cancel is the only word a Service Worker gets of an aborted fetch.
 * Early ends:
 *   - the reader cancels the body (the SDK's stream.controller.abort(), a closed tab, the Node server on a
 *     dropped socket): `abort` fires and the generator is returned, which frees its sequences;
 *   - the request's signal aborts (client disconnect seen by the runtime): the same, even when nobody is
 *     pulling at that moment, so a suspended generator cannot hold KV pages forever;
 *   - the generator throws after output began: one SSE error event, then the stream closes (never hangs);
 *     a JSON body errors instead (the client sees a dropped connection, not a hang).
 * The first event is awaited before the Response exists, so a failure before any output (KV cache full
 * at prefill, a bad sequence) still becomes a plain HTTP error with its status: the caller catches it.
 */
import { toApiError } from './errors.ts';
import { clientGone } from './serve_common.ts';
import { SSE_HEADERS, sseError } from './sse.ts';

export interface SseOptions {
  /** Aborted when the stream ends early; generation watches it. */
  abort: AbortController;
  /**
   * The request, whose signal reports a client disconnect. Held (not just its signal) for the stream's
   * life: in Node (undici) a Request's signal stops following the signal it was made with once the
   * Request object is garbage collected, and a disconnect would then go unnoticed.
   */
  request: Request;
  /** The field prompt-related errors name (`messages` or `prompt`). */
  promptParam: string;
}

export const sseResponse = (events: AsyncGenerator<string>, o: SseOptions): Promise<Response> => bodyResponse(events, o, 'sse');

/**
 * `fold` takes every event; `result` builds the body once they ended (not called after an abort). The
 * first event commits the response to 200.
 */
export function jsonResponse<E>(events: AsyncGenerator<E>, fold: (ev: E) => void, result: () => unknown, o: SseOptions): Promise<Response> {
  async function* body(): AsyncGenerator<string> {
    let committed = false;
    for await (const ev of events) {
      fold(ev);
      if (!committed) {
        committed = true;
        yield ''; // the headers may go now
      }
    }
    if (!o.abort.signal.aborted) yield JSON.stringify(result());
  }
  // Returning body() returns `events` too (for-await does); an abort ends a run that is still going.
  return bodyResponse(body(), o, 'json');
}

const JSON_HEADERS = { 'content-type': 'application/json' };

async function bodyResponse(events: AsyncGenerator<string>, o: SseOptions, kind: 'sse' | 'json'): Promise<Response> {
  const signal = o.request.signal;
  const stop = (): void => {
    o.abort.abort();
    // Queued behind a pending next() if one runs; either way the generator's finally blocks run.
    events.return(undefined).catch(() => undefined);
  };
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  let first: IteratorResult<string>;
  try {
    first = await events.next();
  } catch (e) {
    signal.removeEventListener('abort', stop);
    o.abort.abort();
    throw e;
  }
  if (first.done && o.abort.signal.aborted) {
    signal.removeEventListener('abort', stop);
    return clientGone();
  }
  const encoder = new TextEncoder();
  let pending: string | undefined = first.done ? undefined : first.value;
  let ended = first.done === true;
  const finish = (c: ReadableStreamDefaultController<Uint8Array>): void => {
    ended = true;
    signal.removeEventListener('abort', stop);
    try {
      c.close();
    } catch {
      // already cancelled by the reader
    }
  };
  const send = (c: ReadableStreamDefaultController<Uint8Array>, text: string): void => {
    if (text === '') return;
    try {
      c.enqueue(encoder.encode(text));
    } catch {
      // the reader cancelled while the event was being made: drop it
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (pending !== undefined) {
        const text = pending;
        pending = undefined;
        send(c, text);
        if (ended) return finish(c);
        if (text !== '') return;
      }
      if (ended) return finish(c);
      try {
        // an empty string (the JSON body's commit marker) enqueues nothing: read on until something is sent
        for (;;) {
          const r = await events.next();
          if (r.done) return finish(c);
          if (r.value === '') continue;
          return send(c, r.value);
        }
      } catch (e) {
        const err = toApiError(e, o.promptParam);
        ended = true;
        signal.removeEventListener('abort', stop);
        if (kind === 'json') return c.error(new Error(err.message));
        send(c, sseError(err));
        finish(c);
      }
    },
    async cancel() {
      ended = true;
      signal.removeEventListener('abort', stop);
      o.abort.abort();
      // Resolves once generation has ended and freed its sequences (within one decode step).
      await events.return(undefined).catch(() => undefined);
    },
  });
  return new Response(body, { status: 200, headers: kind === 'sse' ? SSE_HEADERS : JSON_HEADERS });
}
