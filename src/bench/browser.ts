/**
 * `tabserve bench --browser`: the browser half of the bench. Serves the source tree with Vite (the bench
 * page src/bench/browser/page.html, and the model file with HTTP Range support), cross-origin isolated so
 * that wllama may use threads, opens it in the system's headless Chromium, and returns what the page
 * measured: tabserve in a Worker on the browser's WebGPU, and wllama on the CPU and on WebGPU, on the same
 * GGUF and prompt. Needs the source checkout and the dev dependencies (vite, playwright-core, @wllama/wllama).
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BrowserBenchResult } from './browser/messages.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.ts';
import { projectRoot } from './shapes.ts';

export type BrowserPeerName = 'cpu' | 'webgpu';

export interface BrowserBenchOptions {
  promptTokens: number;
  maxTokens: number;
  peers: readonly BrowserPeerName[]; // wllama configurations to run after tabserve
  log: (line: string) => void;
  timeoutMs?: number; // for the whole page; default 2 hours
}

const MODEL_ROUTE = '/__bench/model.gguf';

/** Serves one file at MODEL_ROUTE: whole (200) or one byte range (206), as a static file server would. */
function serveFile(path: string, req: IncomingMessage, res: ServerResponse): void {
  const size = statSync(path).size;
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'application/octet-stream');
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if ((req.headers.range && !m) || start > end) {
    res.statusCode = 416;
    res.setHeader('Content-Range', `bytes */${size}`);
    res.end();
    return;
  }
  res.statusCode = m ? 206 : 200;
  if (m) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  res.setHeader('Content-Length', String(end - start + 1));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(path, { start, end }).pipe(res);
}

export async function runBrowserBench(modelPath: string, o: BrowserBenchOptions): Promise<BrowserBenchResult & { chromium?: string }> {
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright-core');
  const server = await createServer({
    root: projectRoot(),
    configFile: false,
    logLevel: 'error',
    clearScreen: false,
    server: {
      host: '127.0.0.1',
      port: 0,
      // cross-origin isolation: SharedArrayBuffer, so wllama's wasm may use threads
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    worker: { format: 'es' },
    // its own dependency cache (the e2e dev server may be using node_modules/.vite), filled up front from
    // both entries so that no late re-optimization reloads the page mid-run
    cacheDir: 'node_modules/.vite-bench',
    optimizeDeps: { entries: ['src/bench/browser/page.html', 'src/bench/browser/worker.ts'] },
    plugins: [
      {
        name: 'tabserve:bench-model',
        configureServer(s) {
          s.middlewares.use((req, res, next) => (req.url?.split('?')[0] === MODEL_ROUTE ? serveFile(modelPath, req, res) : next()));
        },
      },
    ],
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
  try {
    const address = server.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('the bench server has no port');
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.text().startsWith('bench: ')) o.log(`chromium: ${m.text().slice(7)}`);
    });
    page.on('pageerror', (e) => o.log(`chromium page error: ${e.message}`));
    const query = new URLSearchParams({ model: MODEL_ROUTE, prompt: String(o.promptTokens), max: String(o.maxTokens), peers: o.peers.join(',') });
    await page.goto(`http://127.0.0.1:${address.port}/src/bench/browser/page.html?${query}`);
    const handle = await page.waitForFunction(() => window.benchResult, undefined, { timeout: o.timeoutMs ?? 2 * 3600_000, polling: 1000 });
    return { ...((await handle.jsonValue()) as BrowserBenchResult), chromium: browser.version() };
  } finally {
    await browser.close();
    await server.close();
  }
}
