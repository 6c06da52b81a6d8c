/// <reference lib="webworker" />
/**
 * The inference Worker: owns the WebGPU device, the model (a ModelHost) and its KV cache, and answers
 * OpenAI requests with the same `handle` the Node server uses. The page tells it what to load and hands it
 * MessagePorts; on each port it serves InferenceApi (comlink) to the Service Worker. Every page message gets
 * an answer, errors included, so no caller waits forever.
 */
import * as Comlink from 'comlink';
import { GpuError, openGpu, type Gpu } from '../src/gpu/device.ts';
import { blobSource, urlSource } from '../src/gguf/source.ts';
import { handle } from '../src/openai/handler.ts';
import { ModelHost } from '../src/openai/host.ts';
import type { FromWorker, InferenceApi, ToWorker, WireRequest, WireResponse } from './messages.ts';

declare const self: DedicatedWorkerGlobalScope;

let gpu: Promise<Gpu> | undefined;
// set once by `load`; requests that come earlier wait for it (the handler answers 503 while the model loads)
let host: Promise<ModelHost> | undefined;
// requests whose response has not begun yet, so the Service Worker can abort them by id
const pending = new Map<string, AbortController>();

function reply(msg: FromWorker) {
  self.postMessage(msg);
}

function errorReply(err: unknown): FromWorker {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: 'error', code: e instanceof GpuError ? e.code : e.name, message: e.message };
}

function openGpuOnce(): Promise<Gpu> {
  gpu ??= openGpu(navigator.gpu).catch((e: unknown) => {
    gpu = undefined; // a later probe or load may try again
    throw e;
  });
  return gpu;
}

async function load(source: string | Blob, id: string | undefined) {
  if (host) return reply({ kind: 'error', code: 'already-loaded', message: 'this Worker already serves a model; start another Worker for another model' });
  const started = (async () => {
    const g = await openGpuOnce();
    return new ModelHost(g, typeof source === 'string' ? await urlSource(source) : blobSource(source), id, { onProgress: (progress) => reply({ kind: 'progress', progress }) });
  })();
  host = started;
  try {
    const h = await started;
    await h.loaded();
    const s = h.state;
    if (s.kind === 'failed') throw s.error;
    reply({ kind: 'ready', id: h.id, info: (await openGpuOnce()).info });
  } catch (e) {
    reply(errorReply(e));
  }
}

/** An OpenAI error body for failures that happen before the handler can answer (no GPU, no model file). */
function failure(status: number, message: string, code: string): WireResponse {
  const body = new Blob([JSON.stringify({ error: { message, type: 'server_error', param: null, code } })]).stream();
  // a retry cannot bring a GPU or a model file into being
  return { status, statusText: '', headers: [['content-type', 'application/json'], ['x-should-retry', 'false']], body };
}

const api: InferenceApi = {
  async handle(wire: WireRequest): Promise<WireResponse> {
    const abort = new AbortController();
    pending.set(wire.id, abort);
    try {
      if (!host) return failure(503, 'no model is loaded in this tab', 'model_not_loaded');
      let h: ModelHost;
      try {
        h = await host;
      } catch (e) {
        return failure(500, `the model could not be loaded: ${(e as Error).message}`, 'model_load_failed');
      }
      const request = new Request(wire.url, { method: wire.method, headers: wire.headers, body: wire.body, signal: abort.signal });
      const res = await handle(request, h);
      const out: WireResponse = { status: res.status, statusText: res.statusText, headers: [...res.headers], body: res.body };
      // the body moves to the Service Worker; its cancel() comes back here and stops the generation
      return Comlink.transfer(out, res.body ? [res.body] : []);
    } finally {
      pending.delete(wire.id);
    }
  },
  abort(id: string) {
    pending.get(id)?.abort(new DOMException('the client went away', 'AbortError'));
  },
};

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.kind) {
    case 'probe':
      try {
        reply({ kind: 'gpu', info: (await openGpuOnce()).info });
      } catch (err) {
        reply(errorReply(err));
      }
      break;
    case 'load':
      await load(msg.source, msg.id);
      break;
    case 'connect':
      Comlink.expose(api, msg.port);
      break;
    case 'stats': {
      const s = host ? (await host.catch(() => undefined))?.state : undefined;
      reply({ kind: 'stats', kv: s?.kind === 'ready' ? s.engine.kvStats() : null });
      break;
    }
  }
};
