/**
 * Messages between the three parties of the in-tab server, each a discriminated union on `kind`:
 *   page -> inference Worker (ToWorker) and back (FromWorker): probe the GPU, load a model, hand over a port;
 *   page -> Service Worker (ToServiceWorker) and back (FromServiceWorker): ports to the inference Worker;
 *   Service Worker -> inference Worker: an `InferenceApi` call over that port (comlink), one HTTP exchange each.
 * A Request/Response cannot be posted, so they cross as their serializable parts; the response body is a
 * transferred ReadableStream, so SSE chunks flow as they are made and a cancel flows back to the handler.
 */
import type { KvStats, LoadProgress } from '../src/engine/engine.ts';
import type { GpuInfo } from '../src/gpu/device.ts';

/** Page -> inference Worker. */
export type ToWorker =
  | { kind: 'probe' }
  // a URL (HTTP Range reads) or a Blob / File (a model stored in OPFS, a file opened from disk)
  | { kind: 'load'; source: string | Blob; id?: string }
  // the Worker serves InferenceApi (comlink) on `port`; the page posts the other end to the Service Worker
  | { kind: 'connect'; port: MessagePort }
  | { kind: 'stats' };

/** Inference Worker -> page. */
export type FromWorker =
  | { kind: 'gpu'; info: GpuInfo }
  | { kind: 'progress'; progress: LoadProgress }
  | { kind: 'ready'; id: string; info: GpuInfo }
  | { kind: 'stats'; kv: KvStats | null }
  | { kind: 'error'; code: string; message: string };

/** One model a page serves: its id (what requests name in `model`) and a port to its inference Worker. */
export interface ModelLink {
  model: string;
  port: MessagePort;
}

/** Page -> Service Worker. */
export type ToServiceWorker =
  // the page's answer to `need-port`, and its unasked offer when it starts a model or gets a new controller
  | { kind: 'ports'; links: ModelLink[] }
  // the page stopped serving `model`: its port leads nowhere now
  | { kind: 'gone'; model: string }
  // the page is not controlled though we are active (a shift-reload): take it
  | { kind: 'claim' };

/** Service Worker -> page. */
export type FromServiceWorker = { kind: 'need-port' };

/** An HTTP request as it crosses to the inference Worker. `id` lets the Service Worker abort it. */
export interface WireRequest {
  id: string;
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
}

/** An HTTP response as it comes back; `body` is transferred, not copied. */
export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: ReadableStream<Uint8Array> | null;
}

/** What the inference Worker serves on each port it is given (through comlink). */
export interface InferenceApi {
  handle(request: WireRequest): Promise<WireResponse>;
  /** The client went away before the response began (a non-streamed request): stop its work. */
  abort(id: string): void;
}
