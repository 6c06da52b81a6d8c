/// <reference lib="webworker" />
/**
 * The Service Worker: turns same-origin `fetch('/v1/...')` and `fetch('/health')` into calls on the inference
 * Worker of a tab, over a MessagePort that tab handed us. Every other request goes to the network untouched
 * (no respondWith), except the app shell, which workers/precache.ts answers from its cache (offline use).
 *
 * The browser stops an idle Service Worker after ~30 s and may kill it at any time, so nothing here is more
 * than a cache: the ports live in the tabs. When a request finds no port (first request after a restart,
 * or a tab we have not heard from), we post `need-port` to the tabs and wait briefly for their `ports`.
 * A request is served by the tab that sent it when that tab serves the requested model, else by any tab that
 * does, else by the sender's tab (whose handler then answers 404 for the unknown model).
 */
import * as Comlink from 'comlink';
import type { FromServiceWorker, InferenceApi, ToServiceWorker, WireRequest } from './messages.ts';
import { precacheShell } from './precache.ts';

declare const self: ServiceWorkerGlobalScope;

interface Link {
  clientId: string;
  model: string;
  api: Comlink.Remote<InferenceApi>;
  port: MessagePort;
  /** Rejects when the link is dropped: calls and streams still waiting on a dead port end with it. */
  closed: Promise<never>;
  lost: boolean;
  close(reason: string): void;
}

function newLink(clientId: string, model: string, port: MessagePort): Link {
  let reject: (e: Error) => void = () => {};
  const closed = new Promise<never>((_, r) => (reject = r));
  closed.catch(() => {}); // only requests racing it care
  const link: Link = {
    clientId,
    model,
    port,
    api: Comlink.wrap<InferenceApi>(port),
    closed,
    lost: false,
    close(reason) {
      link.lost = true;
      reject(new Error(reason));
    },
  };
  return link;
}

/** How long a request waits for tabs to answer `need-port` (pages without tabserve never answer). */
const ASK_TIMEOUT_MS = 3000;
/** How often a request in flight checks that its serving tab (and, until the response begins, its sender) still exists. */
const CLIENT_POLL_MS = 1000;

let links: Link[] = [];
// clients that did not answer need-port in time: not asked again until they offer ports themselves
const silent = new Set<string>();
// resolvers of the `ask` calls waiting for a client's `ports` message, by client id
const waiting = new Map<string, (() => void)[]>();
let nextId = 0;

self.addEventListener('install', () => void self.skipWaiting());
// claim, so that the page that registered us is controlled on its first visit, without a reload
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e: ExtendableMessageEvent) => {
  const source = e.source;
  const msg = e.data as ToServiceWorker;
  if (!(source instanceof Client) || typeof msg !== 'object' || msg === null) return;
  switch (msg.kind) {
    case 'ports':
      silent.delete(source.id);
      for (const { model, port } of msg.links) {
        // a re-offer replaces the link; the old port stays open for calls still waiting on it
        links = links.filter((l) => !(l.clientId === source.id && l.model === model));
        links.push(newLink(source.id, model, port));
      }
      for (const resolve of waiting.get(source.id) ?? []) resolve();
      waiting.delete(source.id);
      break;
    case 'claim':
      e.waitUntil(self.clients.claim());
      break;
    case 'gone':
      drop((l) => l.clientId === source.id && l.model === msg.model, `the tab stopped serving \`${msg.model}\``);
      break;
  }
});

function drop(which: (l: Link) => boolean, reason: string) {
  for (const l of links.filter(which)) {
    l.close(reason);
    l.api[Comlink.releaseProxy]();
    l.port.close();
  }
  links = links.filter((l) => !which(l));
}

/**
 * Posts `need-port` to `asked` and resolves when `enough()` holds after an answer, when all answered, or after
 * ASK_TIMEOUT_MS. Clients that never answer (pages without tabserve) are remembered as silent and not asked
 * again; a page that starts tabserve later offers its ports unasked.
 */
async function ask(asked: readonly Client[], enough: (answered: ReadonlySet<string>) => boolean): Promise<void> {
  const answered = new Set<string>();
  const mine = new Map<string, () => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ASK_TIMEOUT_MS);
    for (const c of asked) {
      const onAnswer = () => {
        answered.add(c.id);
        if (answered.size === asked.length || enough(answered)) resolve();
      };
      mine.set(c.id, onAnswer);
      waiting.set(c.id, [...(waiting.get(c.id) ?? []), onAnswer]);
      c.postMessage({ kind: 'need-port' } satisfies FromServiceWorker);
    }
  });
  clearTimeout(timer);
  for (const [id, onAnswer] of mine) {
    if (answered.has(id)) continue;
    const rest = (waiting.get(id) ?? []).filter((f) => f !== onAnswer);
    if (rest.length > 0) waiting.set(id, rest);
    else waiting.delete(id);
    silent.add(id);
  }
}

/** The link that serves a request from `clientId` for `model` (undefined: any model), asking tabs when we know of none. */
async function route(clientId: string, model: string | undefined): Promise<Link | undefined> {
  const all = await self.clients.matchAll({ type: 'all' });
  // a closed tab's port would leave a call waiting forever: forget the ports of clients that are gone
  const alive = new Set(all.map((c) => c.id));
  drop((l) => !alive.has(l.clientId), 'the tab was closed');
  for (const id of silent) if (!alive.has(id)) silent.delete(id);

  const fits = (l: Link) => model === undefined || l.model === model;
  const senderFits = () => links.some((l) => l.clientId === clientId && fits(l));
  if (!senderFits()) {
    // only pages answer need-port (Workers, the inference Worker among them, never would)
    const known = new Set(links.map((l) => l.clientId));
    const unknown = all.filter((c) => c.type === 'window' && !known.has(c.id) && !silent.has(c.id));
    const senderAsked = unknown.some((c) => c.id === clientId);
    // The sender's own tab is preferred, so wait for its answer unless none was asked. A tab that serves a
    // model offers its ports when it starts: an unknown sender is most likely a page without one, so when a
    // fitting link is known already, the answers only serve later requests and this one does not wait.
    const asking = unknown.length > 0 ? ask(unknown, (answered) => senderFits() || ((!senderAsked || answered.has(clientId)) && links.some(fits))) : undefined;
    if (asking && !links.some(fits)) await asking;
  }
  return links.find((l) => l.clientId === clientId && fits(l)) ?? links.find(fits) ?? links.find((l) => l.clientId === clientId) ?? links[0];
}

/** The model a request names: in the JSON body of a POST, or in the path of GET /v1/models/{id}. */
function requestedModel(path: string, body: string | null): string | undefined {
  const m = path.match(/^\/v1\/models\/(.+)$/);
  if (m) return decodeURIComponent(m[1]);
  if (!body) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const model = typeof parsed === 'object' && parsed !== null ? (parsed as { model?: unknown }).model : undefined;
    return typeof model === 'string' ? model : undefined;
  } catch {
    return undefined; // the handler answers invalid JSON with a 400
  }
}

function errorResponse(status: number, message: string, code: string, extra: Record<string, string> = {}): Response {
  const error = { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code };
  return new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json', ...extra } });
}

/** The SSE event that ends a stream whose tab went away (the SDK raises it as an APIError). */
function sseError(message: string): Uint8Array {
  const error = { message, type: 'server_error', param: null, code: 'tab_closed' };
  return new TextEncoder().encode(`data: ${JSON.stringify({ error })}\n\n`);
}

/**
 * Passes the Worker's body through. When the client drops the response (AbortController, closed tab) the
 * browser cancels this stream, and the cancel goes on to the Worker's stream, whose cancel() stops generation.
 * When the serving tab goes away, its Worker's stream would never end: `lost` ends ours instead.
 */
function relay(body: ReadableStream<Uint8Array>, sse: boolean, lost: Promise<never>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await Promise.race([reader.read(), lost]);
        if (!r.done) return controller.enqueue(r.value);
        done();
        controller.close();
      } catch (e) {
        done();
        void reader.cancel(e).catch(() => {}); // not awaited: a dead Worker never confirms
        if (!sse) return controller.error(e);
        controller.enqueue(sseError((e as Error).message));
        controller.close();
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
}

async function serve(request: Request, clientId: string): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.text();
  const link = await route(clientId, requestedModel(url.pathname, body));
  if (!link) {
    return errorResponse(503, 'no tab serves a model yet: call startTabserve({ model }) in a page of this site', 'model_not_loaded', { 'retry-after': '1' });
  }
  const wire: WireRequest = { id: `${Date.now()}-${nextId++}`, method: request.method, url: request.url, headers: [...request.headers], body };
  // Before the response begins, nothing cancels a stream: Chromium does not abort a FetchEvent's
  // request.signal when the client aborts (kept for browsers that do), but a closed sender tab we can see.
  const onAbort = () => void (link.lost || link.api.abort(wire.id).catch(() => {})); // a released proxy throws
  request.signal.addEventListener('abort', onAbort, { once: true });
  const sender = clientId ? await self.clients.get(clientId) : undefined; // none for a navigation
  let responded = false;
  // a port has no close event: poll that the serving tab still exists, until the body ends
  const watch = setInterval(async () => {
    if (!(await self.clients.get(link.clientId))) drop((l) => l === link, `the tab that served \`${link.model}\` was closed`);
    else if (sender && !responded && !(await self.clients.get(clientId))) onAbort();
  }, CLIENT_POLL_MS);
  const done = () => {
    clearInterval(watch);
    request.signal.removeEventListener('abort', onAbort);
  };
  try {
    const res = await Promise.race([link.api.handle(wire), link.closed]);
    responded = true;
    const sse = res.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v.startsWith('text/event-stream'));
    const out = res.body ? relay(res.body, sse, link.closed, done) : null;
    if (!out) done();
    return new Response(out, { status: res.status, statusText: res.statusText, headers: res.headers });
  } catch (e) {
    done();
    // another tab may serve the model by the time the client retries
    if (link.lost) return errorResponse(503, (e as Error).message, 'tab_closed', { 'retry-after': '1' });
    return errorResponse(500, `the inference worker failed: ${(e as Error).message}`, 'internal_error', { 'x-should-retry': 'false' });
  }
}

self.addEventListener('fetch', (e: FetchEvent) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin) return;
  if (!(url.pathname === '/health' || url.pathname.startsWith('/v1/'))) return;
  // a navigation to /v1/... has no client yet: resultingClientId is the page it will become
  e.respondWith(serve(e.request, e.clientId || e.resultingClientId));
});

// after our fetch listener: Workbox's answers only what /v1 and /health leave alone
precacheShell();
