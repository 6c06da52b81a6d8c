// The app (index.html) and, in dev, the e2e fixture pages under /e2e/fixtures/.
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/**
 * The Service Worker lives at /sw.js in dev and in the build, so its scope can be / without a
 * Service-Worker-Allowed header. In dev we answer /sw.js with Vite's transform of workers/sw.ts (a module
 * Service Worker: its imports are Vite's own module URLs; no precache, so dev never serves stale code).
 * The build is vite-plugin-pwa's injectManifest: workers/sw.ts bundled to sw.js with the list of the app
 * shell's files (self.__WB_MANIFEST) that workers/precache.ts caches at install, plus the web app manifest.
 */
function serviceWorkerDev(): Plugin {
  return {
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
}

const pwa = VitePWA({
  strategies: 'injectManifest',
  srcDir: 'workers',
  filename: 'sw.ts',
  injectRegister: false, // startTabserve registers /sw.js itself
  devOptions: { enabled: false },
  injectManifest: {
    rollupFormat: 'es', // registered as a module worker
    // the shell: code, styles, page, icons; models are stored by the library (OPFS), never precached
    globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
    globIgnores: ['models/**'],
    maximumFileSizeToCacheInBytes: 8 << 20,
  },
  manifest: {
    name: 'tabserve',
    short_name: 'tabserve',
    description: 'Chat with a language model that runs on your own GPU, in this tab, offline once a model is stored.',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#f6f7f9',
    theme_color: '#1f3a5f',
    icons: [
      { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
      { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
      { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  },
});

export default defineConfig({
  plugins: [serviceWorkerDev(), pwa],
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  // found up front, so that no late re-optimization invalidates module URLs a Service Worker already holds, or
  // reloads a page mid-test: the scan starts at index.html and does not follow the workers' imports
  optimizeDeps: {
    include: [
      ...['comlink', 'openai', 'idb-keyval', 'lit', 'lit/directives/repeat.js', 'lit/directives/unsafe-html.js', 'marked', 'dompurify'],
      ...['@huggingface/gguf', '@huggingface/jinja', '@mlc-ai/web-xgrammar', 'ajv', 'workbox-routing', 'workbox-precaching'], // workers
    ],
  },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist/app' },
});
