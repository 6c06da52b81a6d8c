/**
 * `tabserve check --json` in this process, on the test adapter: every kernel of the shared list ran, each
 * case matched its CPU twin, exit code 0.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { kernelCheckNames } from '../kernels/all_checks.ts';
import type { CheckJson } from './check_report.ts';
import { main } from './main.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

test('tabserve check --json: every kernel in the list, every case ok, exit code 0', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  const code = await main(['check', '--json']);
  expect(err.mock.calls).toEqual([]);
  expect(log).toHaveBeenCalledTimes(1); // one JSON object, no table
  const out = JSON.parse(String(log.mock.calls[0][0])) as CheckJson;
  expect(Object.keys(out.results)).toEqual(kernelCheckNames(out.adapter));
  expect(Object.keys(out.ms)).toEqual(Object.keys(out.results));
  expect(out.uncaptured).toEqual([]);
  for (const [kernel, cases] of Object.entries(out.results)) {
    expect(cases.length, kernel).toBeGreaterThan(0);
    for (const c of cases) expect(c.ok, `${kernel} ${c.name}: ${c.mismatches} mismatches, max abs err ${c.maxAbsErr}${c.gpuError ? `, ${c.gpuError}` : ''}`).toBe(true);
  }
  expect(out.ok).toBe(true);
  expect(code).toBe(0);
});
