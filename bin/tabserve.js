#!/usr/bin/env node
// Entry point of the `tabserve` CLI. The TypeScript sources are bundled into dist/cli.js by
// `npm run build:cli` (run automatically by `npm install` / `npm ci` through the prepare script).
// Commands that use the GPU re-run themselves under scripts/gpu-env.mjs when `npm run setup` installed
// the private Mesa lavapipe and no Vulkan driver was chosen (machines without a GPU, like CI).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const GPU_COMMANDS = new Set(['generate']);
const env = process.env;
const privateMesa = fileURLToPath(new URL('../.cache/mesa/root', import.meta.url));
if (GPU_COMMANDS.has(process.argv[2]) && !env.TABSERVE_GPU_ENV && !env.VK_ICD_FILENAMES && env.TABSERVE_SYSTEM_VULKAN !== '1' && existsSync(privateMesa)) {
  const { gpuEnv } = await import('../scripts/gpu-env.mjs');
  const add = gpuEnv();
  if (add) {
    // stderr is passed through minus Dawn's notes about lavapipe's oversized limits, which are no concern
    const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: ['inherit', 'inherit', 'pipe'], env: { ...env, ...add, TABSERVE_GPU_ENV: '1' }, maxBuffer: 1 << 30 });
    process.stderr.write(r.stderr.toString().replace(/^Warning: maxDynamic\w+ artificially reduced .*\n/gm, ''));
    process.exit(r.status ?? 1);
  }
}

const bundle = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  console.error('tabserve: dist/cli.js is missing; run `npm run build:cli` in the tabserve folder');
  process.exit(1);
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
