#!/usr/bin/env node
// `npm test`: setup (only when something is missing), the typecheck, then the unit, gpu and
// e2e suites in order. Every suite runs even after a failure; the exit code is non-zero if any step failed.
// Ends with each suite's pass count and one closing line "N passed, M failed".
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from './gpu-env.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Runs a command, echoing its output, and returns its exit code and output. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code: code ?? 1, out: strip(out) }));
  });
}

/** Pass/fail counts from vitest ("Tests  12 passed | 1 failed (13)") or Playwright ("12 passed", "1 failed"). */
function counts(out) {
  const vitest = out.match(/^\s*Tests\s+(.*)$/m);
  const line = vitest ? vitest[1] : out;
  const num = (word) => {
    const all = [...line.matchAll(new RegExp(`(\\d+) ${word}`, 'g'))];
    return all.length ? Number(all[all.length - 1][1]) : 0;
  };
  return { passed: num('passed'), failed: num('failed'), skipped: num('skipped') };
}

const summary = [];
let failedSteps = 0;

if (spawnSync(process.execPath, ['scripts/setup.mjs', '--check'], { cwd: ROOT, stdio: 'ignore' }).status !== 0) {
  console.log('test: something `npm run setup` installs is missing; running it');
  if ((await run(process.execPath, ['scripts/setup.mjs'])).code !== 0) {
    console.error('test: setup failed (see the line above); the gpu and e2e suites cannot run');
    failedSteps++;
  }
}
// the CLI bundle is built by `pretest:unit` (the unit suite runs the real CLI)
for (const [name, script] of [['typecheck', 'typecheck']]) {
  const r = await run(npm, ['run', '--silent', script]);
  if (r.code !== 0) {
    summary.push(`${name}: FAILED`);
    failedSteps++;
  }
}
let passed = 0;
let failed = 0;
for (const suite of ['unit', 'gpu', 'e2e']) {
  console.log(`\n=== ${suite} ===`);
  const r = await run(npm, ['run', '--silent', `test:${suite}`]);
  const c = counts(r.out);
  if (r.code !== 0 && c.failed === 0) c.failed = 1; // a suite that crashed counts as a failure
  passed += c.passed;
  failed += c.failed;
  if (r.code !== 0) failedSteps++;
  summary.push(`${suite}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`);
}
console.log('\n=== summary ===');
for (const line of summary) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedSteps ? 1 : 0);
