/**
 * `tabserve check`: runs every kernel's check against its CPU twin (src/kernels/all_checks.ts) on the
 * adapter at hand, so that a GPU's answers can be trusted before the engine or its benchmark figures are.
 * Prints the adapter, then a line per kernel as it finishes; --json prints one object at the end instead.
 * Exit code 0 when every case passes, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { openGpu } from '../gpu/device.ts';
import { nodeGpu } from '../gpu/node.ts';
import { kernelCheckNames, runKernelChecks } from '../kernels/all_checks.ts';
import { adapterLines, checkExitCode, kernelLines, summaryLine, uncapturedLines, type CheckJson } from './check_report.ts';

export async function check(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { json: { type: 'boolean', default: false } } });
  const say = (lines: string[]): void => {
    if (!values.json) for (const l of lines) console.log(l);
  };
  const gpu = await openGpu(await nodeGpu());
  const uncaptured: string[] = []; // errors outside the cases' error scopes: a kernel's pipeline that failed to build
  gpu.device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
  try {
    say(adapterLines(gpu.info));
    const width = Math.max(...kernelCheckNames(gpu.info).map((k) => k.length));
    const ms: Record<string, number> = {};
    const t0 = performance.now();
    let t = t0;
    const results = await runKernelChecks(gpu, (name, cases) => {
      const now = performance.now();
      ms[name] = Math.round(now - t);
      t = now;
      say(kernelLines(name, cases, width, ms[name]));
    });
    await gpu.device.queue.onSubmittedWorkDone(); // the last errors delivered
    const code = checkExitCode(results, uncaptured);
    say([...uncapturedLines(uncaptured), summaryLine(results, uncaptured, performance.now() - t0)]);
    if (values.json) console.log(JSON.stringify({ ok: code === 0, adapter: gpu.info, results, ms, uncaptured } satisfies CheckJson));
    return code;
  } finally {
    gpu.device.destroy();
  }
}
