#!/usr/bin/env node
// Installs what npm cannot, each step only when missing:
//  1. Debian's `chromium` (apt-get, as root): the browser for the e2e tests (Playwright never downloads one).
//  2. The Mesa 25 lavapipe Vulkan driver and a Vulkan loader from Debian bookworm(-backports), downloaded with
//     a private apt list and unpacked into .cache/mesa: WebGPU for Node on machines without a GPU.
//     Nothing is installed system-wide; Debian 12's own Mesa 22 lavapipe is too old for Dawn.
//  3. llama.cpp's sources, cloned from the git bundle inside node-llama-cpp into .cache/llama.cpp: real
//     vocabularies (models/ggml-vocab-*.gguf), tokenizer test vectors and chat templates for the tests.
// Prints one line per step; exits 1 with one clear line when a step cannot be done here.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESA_DIR, MESA_LIB, ROOT } from './gpu-env.mjs';

const CHROMIUM = '/usr/bin/chromium';
const LLAMA_DIR = join(ROOT, '.cache', 'llama.cpp');
const BUNDLE = join(ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
const checkOnly = process.argv.includes('--check');

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const isRoot = () => process.getuid?.() === 0;
const log = (m) => console.log(`setup: ${m}`);
function fail(m) {
  console.error(`setup: ${m}`);
  process.exit(1);
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** What is missing, for `--check` (used by scripts/test.mjs to decide whether to run setup). */
export function missing() {
  const m = [];
  if (!existsSync(CHROMIUM)) m.push('chromium');
  if (!existsSync(join(MESA_LIB, 'libvulkan_lvp.so')) || !existsSync(join(MESA_LIB, 'libvulkan.so.1'))) m.push('mesa');
  if (!existsSync(join(LLAMA_DIR, 'models'))) m.push('llama.cpp');
  return m;
}

function installChromium() {
  if (existsSync(CHROMIUM)) return log(`chromium: present (${CHROMIUM})`);
  if (!has('apt-get')) fail('chromium is missing and this is not a Debian-like system (no apt-get): install Chromium at /usr/bin/chromium');
  if (!isRoot()) fail('chromium is missing and installing it needs root: run `sudo apt-get install -y chromium`, then `npm run setup` again');
  log('chromium: installing Debian package (about 500 MB) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', 'chromium'], { env });
  log('chromium: installed');
}

/** The Debian mirror this machine already uses. */
function debianMirror() {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m = text.match(/^URIs:\s*(\S+\/debian)\s*$/m) ?? text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm\b/m);
    if (m) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

function installMesa() {
  if (!missing().includes('mesa')) return log('mesa lavapipe: present (.cache/mesa)');
  if (!has('apt-get') || !has('dpkg-deb')) fail('the private Mesa lavapipe needs apt-get and dpkg-deb (Debian 12): WebGPU tests in Node cannot run here');
  log('mesa lavapipe: downloading Mesa 25 from bookworm-backports into .cache/mesa ...');
  rmSync(MESA_DIR, { recursive: true, force: true });
  const apt = join(MESA_DIR, 'apt');
  const debs = join(MESA_DIR, 'debs');
  for (const d of [join(apt, 'lists', 'partial'), join(apt, 'cache', 'archives', 'partial'), debs]) mkdirSync(d, { recursive: true });
  const mirror = debianMirror();
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const signed = existsSync(keyring) ? `[signed-by=${keyring}] ` : '';
  writeFileSync(join(apt, 'sources.list'), [`deb ${signed}${mirror} bookworm main`, `deb ${signed}${mirror} bookworm-backports main`, ''].join('\n'));
  const aptOpts = [
    `-oDir::Etc::sourcelist=${join(apt, 'sources.list')}`,
    '-oDir::Etc::sourceparts=-',
    `-oDir::State::Lists=${join(apt, 'lists')}`,
    `-oDir::Cache=${join(apt, 'cache')}`,
    '-oDebug::NoLocking=1',
    '-qq',
  ];
  run('apt-get', [...aptOpts, 'update']);
  const pkgs = ['mesa-vulkan-drivers/bookworm-backports', 'libdrm2/bookworm-backports', 'libdrm-amdgpu1/bookworm-backports', 'libvulkan1'];
  // lavapipe links libLLVM-15 (from bookworm main); fetch it privately when the system lacks it
  if (!run('sh', ['-c', 'ldconfig -p || true']).includes('libLLVM-15.so.1')) pkgs.push('libllvm15', 'libz3-4');
  run('apt-get', [...aptOpts, 'download', ...pkgs], { cwd: debs });
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) run('dpkg-deb', ['-x', join(debs, deb), join(MESA_DIR, 'root')]);
  rmSync(apt, { recursive: true, force: true });
  const ldd = run('ldd', [join(MESA_LIB, 'libvulkan_lvp.so')], { env: { ...process.env, LD_LIBRARY_PATH: MESA_LIB } });
  const notFound = ldd.split('\n').filter((l) => l.includes('not found'));
  if (notFound.length) fail(`mesa lavapipe: missing libraries: ${notFound.map((l) => l.trim().split(' ')[0]).join(', ')}`);
  log('mesa lavapipe: installed');
}

function cloneLlamaCpp() {
  if (existsSync(join(LLAMA_DIR, 'models'))) return log('llama.cpp sources: present (.cache/llama.cpp)');
  if (!existsSync(BUNDLE)) fail('node-llama-cpp is not installed (run `npm install` first): its llama.cpp bundle is needed');
  log('llama.cpp sources: cloning the bundle shipped in node-llama-cpp ...');
  rmSync(LLAMA_DIR, { recursive: true, force: true });
  execFileSync('git', ['clone', '-q', BUNDLE, LLAMA_DIR], { stdio: ['ignore', 'ignore', 'pipe'] });
  log('llama.cpp sources: ready');
}

if (checkOnly) {
  const m = missing();
  console.log(m.length ? `missing: ${m.join(' ')}` : 'nothing missing');
  process.exit(m.length ? 1 : 0);
}
try {
  installChromium();
  installMesa();
  cloneLlamaCpp();
} catch (e) {
  fail(String(e.message).split('\n').slice(0, 3).join(' '));
}
