/**
 * What `tabserve check` prints, as pure functions of the adapter info and the kernel results (unit-tested
 * without a GPU): the adapter, one line per kernel, a FAIL line per failing case, a summary, the exit code.
 */
import type { GpuInfo } from '../gpu/device.ts';
import type { KernelResults } from '../kernels/all_checks.ts';
import type { CaseResult } from '../kernels/check.ts';

/** The most failing cases listed under one kernel; the rest are counted. */
const MAX_FAIL_LINES = 8;

/** --json's object. Non-finite errors (a bitwise mismatch's maxAbsErr) print as null, as JSON has no Infinity. */
export interface CheckJson {
  ok: boolean;
  adapter: GpuInfo;
  results: KernelResults;
  ms: Record<string, number>; // wall time per kernel
  uncaptured: string[]; // GPU errors raised outside the cases (checkExitCode)
}

/**
 * 0 when every case of every kernel passes (and there was a kernel to run) and the device raised no error
 * outside the cases' error scopes (`uncaptured`: a kernel's shader that did not compile, say), else 1.
 */
export function checkExitCode(results: KernelResults, uncaptured: string[] = []): 0 | 1 {
  const all = Object.values(results);
  return uncaptured.length === 0 && all.length > 0 && all.every((cases) => cases.length > 0 && cases.every((c) => c.ok)) ? 0 : 1;
}

/** 0, 2 significant digits, or inf (a bitwise comparison's mismatch has no finite error). */
export function formatErr(x: number): string {
  if (x === 0) return '0';
  return Number.isFinite(x) ? x.toExponential(1) : 'inf';
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

export function adapterLines(info: GpuInfo): string[] {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unknown';
  const subgroups = !info.subgroups ? 'no' : info.subgroupLanes > 0 ? `yes (sums over ${info.subgroupLanes} lanes)` : 'yes (laid out otherwise than the kernels assume: unused)';
  return [
    `adapter: ${name}${info.description ? `, ${info.description}` : ''}${info.isFallbackAdapter ? ' (fallback adapter)' : ''}`,
    `features: shader-f16 ${yesNo(info.f16)}, subgroups ${subgroups}, int8 dot ${yesNo(info.int8Dot)}`,
    `limits: storage binding ${mib(info.maxStorageBufferBindingSize)}, buffer ${mib(info.maxBufferSize)}, ${info.maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
  ];
}

function failLine(c: CaseResult): string {
  const what = c.mismatches > 0 ? `${c.mismatches} mismatches, worst at element ${c.worstIndex}, max abs err ${formatErr(c.maxAbsErr)}` : 'no mismatch';
  return `    FAIL ${c.name}: ${what}${c.gpuError ? `; GPU error: ${c.gpuError}` : ''}`;
}

/**
 * One kernel: `name  passed/total  ok|FAIL  max abs err E  [T s]` (name padded to `width`), then a line per
 * failing case (case name, mismatches, where, the error, a GPU error).
 */
export function kernelLines(name: string, cases: CaseResult[], width: number, ms?: number): string[] {
  const passed = cases.filter((c) => c.ok).length;
  const ok = cases.length > 0 && passed === cases.length;
  const worst = cases.reduce((m, c) => Math.max(m, c.maxAbsErr), 0);
  const time = ms === undefined ? '' : `  ${(ms / 1000).toFixed(1)} s`;
  const lines = [`${name.padEnd(width)}  ${`${passed}/${cases.length}`.padStart(7)}  ${ok ? 'ok  ' : 'FAIL'}  max abs err ${formatErr(worst).padEnd(7)}${time}`];
  const failing = cases.filter((c) => !c.ok);
  lines.push(...failing.slice(0, MAX_FAIL_LINES).map(failLine));
  if (failing.length > MAX_FAIL_LINES) lines.push(`    ... and ${failing.length - MAX_FAIL_LINES} more failing cases`);
  return lines;
}

/** The device's errors outside the cases, each once. */
export function uncapturedLines(uncaptured: string[]): string[] {
  return [...new Set(uncaptured)].map((m) => `GPU error outside the cases: ${m}`);
}

/** The last line: all passed, or which kernels failed. */
export function summaryLine(results: KernelResults, uncaptured: string[] = [], ms?: number): string {
  const entries = Object.entries(results);
  const cases = entries.reduce((n, [, cs]) => n + cs.length, 0);
  const failedCases = entries.reduce((n, [, cs]) => n + cs.filter((c) => !c.ok).length, 0);
  const time = ms === undefined ? '' : ` in ${(ms / 1000).toFixed(1)} s`;
  if (checkExitCode(results, uncaptured) === 0) return `ok: all ${cases} cases of ${entries.length} kernels match their CPU twins${time}`;
  const failed = entries.filter(([, cs]) => cs.length === 0 || cs.some((c) => !c.ok)).map(([k]) => k);
  const outside = uncaptured.length ? `, ${uncaptured.length} GPU errors outside the cases` : '';
  return `FAIL: ${failedCases} of ${cases} cases in ${failed.length} of ${entries.length} kernels (${failed.join(', ') || 'none'})${outside}${time}`;
}
