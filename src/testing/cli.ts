/**
 * Runs the real `tabserve` CLI (bin/tabserve.js, as `npx tabserve` does) and captures its output.
 * The GPU variables that scripts/gpu-env.mjs set for this test process are removed, so the CLI sets up
 * its own environment as it does when a user runs it from a plain shell.
 */
import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './paths.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], input?: string): CliRun {
  const env = { ...process.env };
  if (env.TABSERVE_SYSTEM_VULKAN !== '1') for (const k of ['VK_ICD_FILENAMES', 'LD_LIBRARY_PATH', 'TABSERVE_GPU_ENV']) delete env[k];
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env, input });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
