#!/usr/bin/env node
// Packs what `scripts/device-bench.sh` needs on a lent GPU machine, which starts bare (no Node, no npm, no
// network) and takes at most 64 MiB of working tree: `npm run device-kit` writes .device/ (git-ignored):
//   .device/kit.tar.xz  node (this machine's binary), and app/: package.json, bin/, dist/ (the CLI bundle,
//                       built first), the packages the bundle imports from node_modules with their dependencies
//                       (webgpu's Dawn for linux-x64 only; node-llama-cpp with its Vulkan build, without the
//                       llama.cpp sources it builds from), and the three vocabularies the bench shapes use
//   .device/debs/       Debian's Vulkan loader (libvulkan1), unpacked there when the machine has none
// Then a session that is lent a machine runs:  device.run { command: "bash scripts/device-bench.sh",
// carry: [".device"] }  (README, "On a GPU machine").
import { execFileSync, execSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ROOT } from './gpu-env.mjs';

/** Packages the bundle imports that the GPU machine's run does not need: the browser bench's (--browser). */
const BROWSER_ONLY = ['playwright-core', 'vite'];
/** llama.cpp's build for the peer: Vulkan, on the GPU. */
const LLAMA_BUILD = '@node-llama-cpp/linux-x64-vulkan';
/** Skipped: other platforms' llama.cpp builds (optional dependencies of node-llama-cpp) and big files not read at run time. */
const SKIP_PACKAGE = (name) => name.startsWith('@node-llama-cpp/') && name !== LLAMA_BUILD;
const SKIP_PATH = [
  'node_modules/node-llama-cpp/llama/gitRelease.bundle', // llama.cpp's sources, for building from source
  ...['darwin-universal', 'linux-arm64', 'win32-arm64', 'win32-x64'].map((p) => `node_modules/webgpu/dist/${p}`),
];
const VOCABS = ['ggml-vocab-starcoder.gguf', 'ggml-vocab-qwen2.gguf', 'ggml-vocab-llama-bpe.gguf'];
const LIMIT = 64 * 2 ** 20; // the device tool's working-tree limit, with the repository's own files

/** The packages the CLI bundle (dist/cli.js and its chunks) imports by name, static or dynamic. */
function bundleImports() {
  const names = new Set();
  const files = ['dist/cli.js', ...readdirSync(join(ROOT, 'dist', 'assets')).filter((f) => f.endsWith('.js')).map((f) => `dist/assets/${f}`)];
  for (const f of files) {
    const code = readFileSync(join(ROOT, f), 'utf8');
    // `import ... from "x"` at a line's start, and `import("x")`; x a package name, not a path or a builtin
    for (const m of code.matchAll(/(?:^import\b[^;]*?\bfrom\s*|\bimport\(\s*)["']((?:@[\w.-]+\/)?[\w.-]+(?:\/[\w./-]*)?)["']/gm)) {
      if (m[1].startsWith('node:') || m[1].startsWith('.') || builtinModules.includes(m[1])) continue;
      const parts = m[1].split('/');
      names.add(m[1].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
    }
  }
  return [...names].filter((n) => !BROWSER_ONLY.includes(n)).sort();
}

/** The folder of package `name` as Node resolves it from `from` (a package folder), or undefined. */
function resolvePackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const p = join(dir, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return p;
    if (dir === ROOT || dirname(dir) === dir) return undefined;
  }
}

/** Every package folder the entries need: dependencies and installed optional dependencies, transitively. */
function closure() {
  const found = new Set();
  const visit = (name, from, optional) => {
    if (SKIP_PACKAGE(name)) return;
    const dir = resolvePackage(name, from);
    if (!dir) {
      if (optional) return;
      throw new Error(`device-kit: ${name} is not installed (needed from ${relative(ROOT, from) || '.'}); run npm ci`);
    }
    if (found.has(dir)) return;
    found.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const d of Object.keys(pkg.dependencies ?? {})) visit(d, dir, false);
    for (const d of Object.keys(pkg.optionalDependencies ?? {})) visit(d, dir, true);
  };
  const entry = [...bundleImports(), LLAMA_BUILD];
  console.log(`device-kit: the bundle imports ${entry.join(', ')}`);
  for (const name of entry) visit(name, ROOT, false);
  return [...found].sort();
}

function main() {
  const out = join(ROOT, '.device');
  const stage = join(tmpdir(), `tabserve-kit-${process.pid}`);
  const app = join(stage, 'app');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'debs'), { recursive: true });
  mkdirSync(app, { recursive: true });
  try {
    console.log('device-kit: building the CLI bundle ...');
    execSync('npm run build:cli', { cwd: ROOT, stdio: 'inherit' });
    cpSync(process.execPath, join(stage, 'node'));
    for (const f of ['package.json', 'bin/tabserve.js', 'dist/cli.js', 'dist/assets']) cpSync(join(ROOT, f), join(app, f), { recursive: true });
    const packages = closure();
    for (const dir of packages) {
      const rel = relative(ROOT, dir);
      cpSync(dir, join(app, rel), { recursive: true, filter: (src) => !SKIP_PATH.includes(relative(ROOT, src)) });
    }
    for (const v of VOCABS) {
      const from = join(ROOT, '.cache', 'llama.cpp', 'models', v);
      if (!existsSync(from)) throw new Error(`device-kit: ${from} is missing; run npm run setup`);
      cpSync(from, join(app, '.cache', 'llama.cpp', 'models', v));
    }
    writeFileSync(join(stage, 'KIT'), `tabserve device kit, ${new Date().toISOString()}, commit ${git('rev-parse', 'HEAD')}, node ${process.version}\n`);
    console.log(`device-kit: ${packages.length} packages; compressing ...`);
    execSync(`tar -C ${JSON.stringify(stage)} -cf - . | xz -T0 -9 > ${JSON.stringify(join(out, 'kit.tar.xz'))}`, { stdio: 'inherit', shell: '/bin/bash' });
    // Debian 12's loader: the GPU machine's image may have none (README of the device tool)
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: join(out, 'debs'), stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const kit = statSync(join(out, 'kit.tar.xz')).size;
  const tracked = git('ls-files', '-z').split('\0').filter(Boolean).reduce((n, f) => n + (existsSync(join(ROOT, f)) ? statSync(join(ROOT, f)).size : 0), 0);
  const debs = execSync('du -sb debs', { cwd: out, encoding: 'utf8' }).split('\t')[0];
  const total = kit + tracked + Number(debs);
  console.log(`device-kit: .device/kit.tar.xz ${(kit / 2 ** 20).toFixed(1)} MiB; with the debs and the tracked files ${(total / 2 ** 20).toFixed(1)} of ${LIMIT / 2 ** 20} MiB`);
  if (total > LIMIT) {
    console.error('device-kit: over the device tool\'s 64 MiB: the kit would not travel');
    process.exit(1);
  }
}

function git(...args) {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
}

main();
