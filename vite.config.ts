// The app (index.html) and, in dev, the e2e fixture pages under /e2e/fixtures/.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const SW_SOURCE = fileURLToPath(new URL('./workers/sw.ts', import.meta.url));

/**
 * The Service Worker lives at /sw.js in dev and in the build, so its scope can be / without a
 * Service-Worker-Allowed header. In dev we answer /sw.js with Vite's transform of workers/sw.ts (a module
 * Service Worker: its imports are Vite's own module URLs); in the build it is an entry chunk named sw.js.
 */
function serviceWorker(): Plugin[] {
  const dev: Plugin = {
    name: 'tabserve:service-worker-dev',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        if (req.url?.split('?')[0] !== '/sw.js') return next();
        try {
          const result = await server.transformRequest('/workers/sw.ts');
          if (!result) return next();
          res.setHeader('Content-Type', 'text/javascript');
          res.setHeader('Cache-Control', 'no-cache');
          res.end(result.code);
        } catch (e) {
          next(e);
        }
      });
    },
  };
  const build: Plugin = {
    name: 'tabserve:service-worker-build',
    apply: 'build',
    buildStart() {
      this.emitFile({ type: 'chunk', id: SW_SOURCE, fileName: 'sw.js' });
    },
  };
  return [dev, build];
}

export default defineConfig({
  plugins: serviceWorker(),
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  // found up front, so that no late re-optimization invalidates module URLs a Service Worker already holds
  optimizeDeps: { include: ['comlink', 'openai'] },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist/app' },
});
