#!/usr/bin/env node
// Runs after `npm install` (postinstall). node-llama-cpp lists prebuilt binaries for every platform as
// optional dependencies; a registry mirror that lacks the ones for other platforms (win32, darwin, riscv64)
// makes `npm install` leave them out of package-lock.json, and `npm ci` then rejects the lock as out of
// sync. This adds a lock entry for each missing one with the os/cpu its name encodes, which is what npm
// itself writes: npm skips such entries on any other platform without fetching them. Writes nothing when
// the lock is already complete (as under `npm ci`).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './gpu-env.mjs';

const lockPath = join(ROOT, 'package-lock.json');
const pkgPath = join(ROOT, 'node_modules', 'node-llama-cpp', 'package.json');
if (!existsSync(lockPath) || !existsSync(pkgPath)) process.exit(0);

const OS = { linux: 'linux', mac: 'darwin', win: 'win32' };
const CPU = { x64: 'x64', arm64: 'arm64', armv7l: 'arm', riscv64: 'riscv64' };
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
const dev = lock.packages['node_modules/node-llama-cpp']?.dev === true;
let added = 0;
for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const m = name.match(/^@node-llama-cpp\/(linux|mac|win)-(x64|arm64|armv7l|riscv64)(?:-|$)/);
  if (!m) continue;
  lock.packages[key] = { version, cpu: [CPU[m[2]]], ...(dev ? { dev: true } : {}), license: 'MIT', optional: true, os: [OS[m[1]]], engines: { node: '>=20.0.0' } };
  added++;
}
if (added) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
  writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
  console.log(`lock-platforms: added ${added} platform-only node-llama-cpp entries to package-lock.json`);
}
