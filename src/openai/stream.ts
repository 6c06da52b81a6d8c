/**
 * An SSE Response from an async generator of framed events (sse.ts), with the three ways a stream can end
 * early wired to generation:
 *   - the reader cancels the body (the SDK's stream.controller.abort(), a closed tab, the Node server on a
 *     dropped socket): `abort` fires and the generator is returned, which frees its sequences;
 *   - the request's signal aborts (client disconnect seen by the runtime): the same, even when nobody is
 *     pulling at that moment, so a suspended generator cannot hold KV pages forever;
 *   - the generator throws after output began: one SSE error event, then the stream closes (never hangs).
 * The first event is awaited before the Response exists, so a failure before any output (KV cache full
 * at prefill, a bad sequence) still becomes a plain HTTP error with its status: the caller catches it.
 */
import { toApiError } from './errors.ts';
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

export async function sseResponse(events: AsyncGenerator<string>, o: SseOptions): Promise<Response> {
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
    try {
      c.enqueue(encoder.encode(text));
    } catch {
      // the reader cancelled while the event was being made: drop it
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (pending !== undefined) {
        send(c, pending);
        pending = undefined;
        if (ended) finish(c);
        return;
      }
      if (ended) return finish(c);
      try {
        const r = await events.next();
        if (r.done) finish(c);
        else send(c, r.value);
      } catch (e) {
        send(c, sseError(toApiError(e, o.promptParam)));
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
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}
