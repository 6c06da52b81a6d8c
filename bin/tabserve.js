#!/usr/bin/env node
// Entry point of the `tabserve` CLI. The TypeScript sources are bundled into dist/cli.js by
// `npm run build:cli` (run automatically by `npm install` / `npm ci` through the prepare script).
// Commands that use the GPU re-run themselves under scripts/gpu-env.mjs when `npm run setup` installed
// the private Mesa lavapipe and no Vulkan driver was chosen (machines without a GPU, like CI).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const GPU_COMMANDS = new Set(['generate', 'serve', 'bench', 'check']);
const env = process.env;
const privateMesa = fileURLToPath(new URL('../.cache/mesa/root', import.meta.url));
if (GPU_COMMANDS.has(process.argv[2]) && !env.TABSERVE_GPU_ENV && !env.VK_ICD_FILENAMES && env.TABSERVE_SYSTEM_VULKAN !== '1' && existsSync(privateMesa)) {
  const { gpuEnv } = await import('../scripts/gpu-env.mjs');
  const add = gpuEnv();
  if (add) {
    // stderr is passed through line by line, minus Dawn's notes about lavapipe's oversized limits
    const child = spawn(process.execPath, process.argv.slice(1), { stdio: ['inherit', 'inherit', 'pipe'], env: { ...env, ...add, TABSERVE_GPU_ENV: '1' } });
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (!/^Warning: maxDynamic\w+ artificially reduced /.test(line)) process.stderr.write(line + '\n');
    });
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
    const [code] = await new Promise((resolve) => child.on('close', (...a) => resolve(a)));
    process.exit(code ?? 1);
  }
}

const bundle = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  console.error('tabserve: dist/cli.js is missing; run `npm run build:cli` in the tabserve folder');
  process.exit(1);
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
