/** Node only: evaluates xgrammar's UMD bundle as CommonJS (see xgrammar.ts for why). */
import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname } from 'node:path';

export function loadXgrammarInNode(): unknown {
  const require = nodeModule.createRequire(import.meta.url);
  const file = require.resolve('@mlc-ai/web-xgrammar');
  // The emscripten glue does `await import('module')` for createRequire; code built by Function (or vm) has
  // no module context to import from, so that one import is answered with the module we already have.
  const source = readFileSync(file, 'utf8').replace("import('module')", '__nodeModule()');
  const module = { exports: {} as Record<string, unknown> };
  const run = new Function('exports', 'require', 'module', '__filename', '__dirname', '__nodeModule', source);
  run(module.exports, require, module, file, dirname(file), () => Promise.resolve(nodeModule));
  return module.exports;
}
