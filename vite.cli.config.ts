// Bundles the Node CLI (src/cli/main.ts) into dist/cli.js. Vite inlines `?raw` WGSL imports, so the
// CLI and the browser build share one way of loading shaders. npm packages stay external.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: { output: { entryFileNames: 'cli.js', format: 'es' } },
  },
  publicDir: false, // the CLI bundle needs none of the app's static files
  logLevel: 'warn',
});
