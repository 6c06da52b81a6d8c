/**
 * The page side of the in-tab server: `await startTabserve({ model })`, then any same-origin
 * `fetch('/v1/...')` (the `openai` SDK included) is answered by the model on this tab's GPU.
 *
 * The page owns the two things that must outlive the Service Worker: the inference Worker (GPU, weights,
 * KV cache) and the right to hand out ports to it. It posts a port to the Service Worker when it starts,
 * when a new Service Worker takes control, and whenever the Service Worker asks (`need-port`: it was
 * restarted by the browser and lost everything it held).
 */
import type { KvStats, LoadProgress } from '../engine/engine.ts';
import type { GpuInfo } from '../gpu/device.ts';
import type { FromServiceWorker, FromWorker, ModelLink, ToServiceWorker, ToWorker } from '../../workers/messages.ts';

export interface StartOptions {
  /** URL of a GGUF file whose server answers Range requests, or the file itself (a File from OPFS or a file input). */
  model: string | Blob;
  /** The model id clients send (default: the file name without .gguf). */
  id?: string;
  onProgress?: (p: LoadProgress) => void;
  /** Where the Service Worker script is served (default /sw.js: scope / needs no extra header there). */
  serviceWorkerUrl?: string;
}

export interface Tabserve {
  readonly id: string;
  readonly gpu: GpuInfo;
  /** The KV cache's page counts (null when no model is loaded): freePages + cachedPages === totalPages when idle. */
  kvStats(): Promise<KvStats | null>;
  /** Stops serving: the Service Worker forgets this model and the Worker (and its GPU memory) is gone. */
  stop(): void;
}

interface Instance {
  id: string;
  worker: Worker;
}

const instances = new Set<Instance>();
let listening = false;

/** The model id for a URL, the same rule ModelHost uses for a source name. */
export function modelIdFromUrl(url: string): string {
  const path = new URL(url, location.href).pathname;
  return decodeURIComponent(path.split('/').pop() ?? path).replace(/\.gguf$/i, '');
}

/** The model id for a Blob: a File's name without .gguf; a bare Blob has none, so it must be given. */
function modelIdFromFile(blob: Blob): string {
  if (blob instanceof File) return blob.name.replace(/\.gguf$/i, '');
  throw new Error('tabserve: a model given as a Blob needs an `id`');
}

/** Hands `to` a fresh port to each of `which` (default: every running instance); a port cannot be shared. */
function offerPorts(to: ServiceWorker | null, which: Iterable<Instance> = instances) {
  const offered = [...which];
  if (!to || offered.length === 0) return;
  const links: ModelLink[] = offered.map(({ id, worker }) => {
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ kind: 'connect', port: port1 } satisfies ToWorker, [port1]);
    return { model: id, port: port2 };
  });
  to.postMessage({ kind: 'ports', links } satisfies ToServiceWorker, links.map((l) => l.port));
}

function listen(container: ServiceWorkerContainer) {
  if (listening) return;
  listening = true;
  container.addEventListener('message', (e: MessageEvent<FromServiceWorker>) => {
    if (e.data?.kind === 'need-port') offerPorts(e.source instanceof ServiceWorker ? e.source : container.controller);
  });
  // a new Service Worker took over (an update): it holds no ports yet
  container.addEventListener('controllerchange', () => offerPorts(container.controller));
  container.startMessages(); // messages sent before this are queued, not lost
}

/**
 * Resolves with the Service Worker that controls this page: on a first visit once it activated and claimed
 * us; after a shift-reload (which leaves the page uncontrolled under an active worker) once it claimed us on request.
 */
async function controller(container: ServiceWorkerContainer, url: string): Promise<ServiceWorker> {
  await container.register(url, { type: 'module', scope: '/' });
  const registration = await container.ready;
  while (!container.controller) {
    const changed = new Promise((resolve) => container.addEventListener('controllerchange', resolve, { once: true }));
    registration.active?.postMessage({ kind: 'claim' } satisfies ToServiceWorker);
    await changed;
  }
  return container.controller;
}

/** Waits for the Worker's `ready`, passing progress on; rejects with its error. */
function modelReady(worker: Worker, onProgress?: (p: LoadProgress) => void): Promise<GpuInfo> {
  return new Promise((resolve, reject) => {
    const onMessage = (e: MessageEvent<FromWorker>) => {
      const msg = e.data;
      if (msg.kind === 'progress') onProgress?.(msg.progress);
      else if (msg.kind === 'ready') done(() => resolve(msg.info));
      else if (msg.kind === 'error') done(() => reject(new Error(`tabserve: ${msg.message}`)));
    };
    const onError = (e: ErrorEvent) => done(() => reject(new Error(`tabserve: the inference worker failed: ${e.message}`)));
    const done = (settle: () => void) => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      settle();
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
  });
}

function kvStats(worker: Worker): Promise<KvStats | null> {
  return new Promise((resolve) => {
    const onMessage = (e: MessageEvent<FromWorker>) => {
      if (e.data.kind !== 'stats') return;
      worker.removeEventListener('message', onMessage);
      resolve(e.data.kv);
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage({ kind: 'stats' } satisfies ToWorker);
  });
}

/**
 * Loads `model` in a new inference Worker and serves it at /v1 through the Service Worker. Resolves when the
 * Service Worker controls this page and the model is ready; rejects if either cannot happen.
 */
export async function startTabserve(opts: StartOptions): Promise<Tabserve> {
  const container = navigator.serviceWorker;
  if (!container) throw new Error('tabserve: Service Workers are unavailable here (they need a secure context: https or localhost)');
  const id = opts.id ?? (typeof opts.model === 'string' ? modelIdFromUrl(opts.model) : modelIdFromFile(opts.model));
  if ([...instances].some((i) => i.id === id)) throw new Error(`tabserve: this page already serves a model with id "${id}"`);

  listen(container);
  const worker = new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: `tabserve ${id}` });
  const ready = modelReady(worker, opts.onProgress);
  ready.catch(() => {}); // awaited below; this keeps an early failure from being reported as unhandled
  const source = typeof opts.model === 'string' ? new URL(opts.model, location.href).href : opts.model;
  worker.postMessage({ kind: 'load', source, id } satisfies ToWorker);
  const instance: Instance = { id, worker };
  const stop = () => {
    if (!instances.delete(instance)) return;
    container.controller?.postMessage({ kind: 'gone', model: id } satisfies ToServiceWorker);
    worker.terminate();
  };
  try {
    // the port goes out before the model is ready: requests meanwhile get the handler's 503 + retry-after
    const sw = await controller(container, opts.serviceWorkerUrl ?? '/sw.js');
    instances.add(instance);
    offerPorts(sw, [instance]);
    const gpu = await ready;
    return { id, gpu, kvStats: () => kvStats(worker), stop };
  } catch (e) {
    stop();
    worker.terminate();
    throw e;
  }
}
