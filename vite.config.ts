// The app (index.html) and, in dev, the e2e fixture pages under /e2e/fixtures/.
import { defineConfig } from 'vite';

export default defineConfig({
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist/app' },
});
