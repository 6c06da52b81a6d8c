#!/usr/bin/env node
// The environment under which Node's WebGPU (npm `webgpu`, Dawn) finds a Vulkan driver on a machine
// without a GPU: the private Mesa 25 lavapipe that `npm run setup` unpacks into .cache/mesa (the only
// software adapter with shader-f16), else Chromium's SwiftShader ICD.
//
//   node scripts/gpu-env.mjs CMD ARGS...   runs CMD with that environment, exiting with its code.
// On a machine with a real GPU driver set TABSERVE_SYSTEM_VULKAN=1 to leave the environment alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MESA_DIR = join(ROOT, '.cache', 'mesa');
export const MESA_LIB = join(MESA_DIR, 'root', 'usr', 'lib', 'x86_64-linux-gnu');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Environment additions for WebGPU in Node, or null when no software driver is installed. */
export function gpuEnv(env = process.env) {
  const xdg = join(ROOT, '.cache', 'xdg');
  mkdirSync(xdg, { recursive: true, mode: 0o700 });
  const out = { XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR ?? xdg };
  if (env.TABSERVE_SYSTEM_VULKAN === '1') return out;
  const libPath = [MESA_LIB, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const lvp = join(MESA_LIB, 'libvulkan_lvp.so');
  if (existsSync(lvp)) {
    // written on each run so the absolute path follows the checkout
    const icd = join(MESA_DIR, 'lvp_icd.json');
    writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: lvp, api_version: '1.4.305' } }));
    return { ...out, VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: libPath };
  }
  if (existsSync(SWIFTSHADER_ICD)) return { ...out, VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: [libPath, '/usr/lib/chromium'].join(':') };
  return null;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, ...args] = process.argv.slice(2);
  const add = gpuEnv();
  if (!add) {
    console.error('gpu-env: no Vulkan driver for WebGPU in Node: run `npm run setup` (installs the private Mesa lavapipe)');
    process.exit(1);
  }
  if (!cmd) {
    for (const [k, v] of Object.entries(add)) console.log(`export ${k}=${v}`);
    process.exit(0);
  }
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...add }, shell: false });
  process.exit(r.status ?? 1);
}
