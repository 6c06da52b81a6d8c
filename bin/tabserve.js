#!/usr/bin/env node
// Entry point of the `tabserve` CLI. The TypeScript sources are bundled into dist/cli.js by
// `npm run build:cli` (run automatically by `npm install` / `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  console.error('tabserve: dist/cli.js is missing; run `npm run build:cli` in the tabserve folder');
  process.exit(1);
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
