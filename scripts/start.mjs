#!/usr/bin/env node
// `npm start`: builds what is missing (the CLI bundle, the built-in test model in public/models/), builds the
// app (dist/app: the production build, whose Service Worker precaches the app shell so it works offline),
// then serves it with `vite preview` on http://127.0.0.1:5173 (`--port N` for another port). No network needed.
// `--dev` serves the sources with Vite's dev server instead (hot reload, the e2e fixture pages; no precache).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './gpu-env.mjs';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 5173;
const node = process.execPath;
const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

function step(args, what) {
  const r = spawnSync(node, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`start: ${what} failed`);
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(join(ROOT, 'dist', 'cli.js'))) step([vite, 'build', '-c', 'vite.cli.config.ts'], 'building the CLI');
const model = join(ROOT, 'public', 'models', 'tabserve-test.gguf');
if (!existsSync(model)) {
  mkdirSync(join(ROOT, 'public', 'models'), { recursive: true });
  // small llama with the built-in vocabulary and chat template: fast on any adapter
  step([join(ROOT, 'bin', 'tabserve.js'), 'make-test-model', '--arch', 'llama', '--type', 'q8_0', '--embd', '256', '--layers', '4', '--heads', '4', '--kv-heads', '2', '--ff', '768', '--ctx', '2048', '--out', `${model}.${process.pid}`], 'making the built-in test model');
  renameSync(`${model}.${process.pid}`, model); // two servers may start at once (e2e): neither sees half a file
}
const dev = process.argv.includes('--dev');
if (!dev) step([vite, 'build', '--logLevel', 'warn'], 'building the app');
console.log(`tabserve: serving the app on http://127.0.0.1:${port}/${dev ? ' (dev server)' : ''}`);
const server = spawn(node, [vite, ...(dev ? [] : ['preview']), '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: ROOT, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code) => process.exit(code ?? 0));
