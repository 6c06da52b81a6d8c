#!/usr/bin/env node
// Runs after `npm install` (postinstall). Some packages list prebuilt binaries for every platform as
// optional dependencies (node-llama-cpp; rollup, which vite-plugin-pwa's workbox-build uses); a registry
// mirror that lacks the ones for other platforms (win32, darwin, riscv64, ...) makes `npm install` leave them
// out of package-lock.json, and `npm ci` then rejects the lock as out of sync. This adds a lock entry for each
// missing one with the os/cpu/libc its name encodes, which is what npm itself writes: npm skips such entries
// on any other platform without fetching them. Writes nothing when the lock is already complete (as under
// `npm ci`).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './gpu-env.mjs';

const lockPath = join(ROOT, 'package-lock.json');
if (!existsSync(lockPath)) process.exit(0);

/** The platform a binary package's name encodes, or null when it is not one. */
const PLATFORM_NAMES = {
  'node-llama-cpp': (name) => {
    const m = name.match(/^@node-llama-cpp\/(linux|mac|win)-(x64|arm64|armv7l|riscv64)(?:-|$)/);
    if (!m) return null;
    return { os: { linux: 'linux', mac: 'darwin', win: 'win32' }[m[1]], cpu: { x64: 'x64', arm64: 'arm64', armv7l: 'arm', riscv64: 'riscv64' }[m[2]] };
  },
  rollup: (name) => {
    const m = name.match(/^@rollup\/rollup-(android|darwin|freebsd|linux|win32|openbsd|openharmony)-(arm64|x64|arm|ia32|loong64|riscv64|ppc64|s390x)(?:-(\w+))?$/);
    if (!m) return null;
    const libc = m[3]?.startsWith('gnu') ? 'glibc' : m[3]?.startsWith('musl') ? 'musl' : undefined;
    return { os: m[1], cpu: m[2], libc };
  },
};

const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
let added = 0;
for (const [parent, platformOf] of Object.entries(PLATFORM_NAMES)) {
  const pkgPath = join(ROOT, 'node_modules', parent, 'package.json');
  const parentEntry = lock.packages[`node_modules/${parent}`];
  if (!existsSync(pkgPath) || !parentEntry) continue;
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const p = platformOf(name);
    if (!p) continue;
    lock.packages[key] = {
      version,
      cpu: [p.cpu],
      ...(parentEntry.dev ? { dev: true } : {}),
      ...(p.libc ? { libc: [p.libc] } : {}),
      license: 'MIT',
      optional: true,
      os: [p.os],
      ...(parent === 'node-llama-cpp' ? { engines: { node: '>=20.0.0' } } : {}),
    };
    added++;
  }
}
if (added) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
  writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
  console.log(`lock-platforms: added ${added} platform-only entries to package-lock.json`);
}
