/** Runs the real `tabserve` CLI (bin/tabserve.js, as `npx tabserve` does) and captures its output. */
import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './paths.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[]): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
