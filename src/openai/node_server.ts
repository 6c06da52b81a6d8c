/**
 * The OpenAI handler over Node's HTTP server (`tabserve serve`): each request becomes a Fetch API Request
 * (its signal aborts when the client goes away), the handler's Response is written back, streamed bodies
 * chunk by chunk with backpressure. The same handler answers in the browser's Service Worker.
 * CORS is open (any origin, no credentials): a page on another origin may call a local `tabserve serve`,
 * as it may call any OpenAI-compatible local server; preflights (OPTIONS) are answered here.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handle } from './handler.ts';
import type { ModelHost } from './host.ts';

const MAX_BODY = 64 << 20; // bytes: a request body larger than this is refused (413)

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer> | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  const all = Buffer.concat(chunks);
  return new Uint8Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'x-should-retry': 'false' });
  res.end(JSON.stringify({ error: { message, type: status < 500 ? 'invalid_request_error' : 'server_error', param: null, code: null } }));
}

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after, x-should-retry' };

function preflight(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(204, {
    ...CORS,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    // the SDK sends authorization, content-type and its x-stainless-* headers: allow what is asked
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
    'access-control-max-age': '600',
  });
  res.end();
}

async function serve(host: ModelHost, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'OPTIONS') return preflight(req, res);
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('the client closed the connection'));
  });
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
  if (body === 'too-large') return sendError(res, 413, `the request body is larger than ${MAX_BODY} bytes`);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const request = new Request(url, { method, headers, body, signal: abort.signal });
  const response = await handle(request, host);
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), ...CORS });
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  abort.signal.addEventListener('abort', () => void reader.cancel(abort.signal.reason).catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (abort.signal.aborted) break;
    }
    res.end();
  } catch (e) {
    // the body failed after its headers went out: a dropped connection tells the client, a clean end would not
    res.destroy(e as Error);
  }
}

export interface ServeOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 8000; 0 picks a free port
}

/** Starts the server; resolves with it and its address once it listens. */
export async function startServer(model: ModelHost, o: ServeOptions = {}): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    serve(model, req, res).catch((e: unknown) => sendError(res, 500, `internal error: ${(e as Error).message}`));
  });
  server.listen(o.port ?? 8000, o.host ?? '127.0.0.1');
  await once(server, 'listening');
  const a = server.address() as AddressInfo;
  return { server, url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` };
}
