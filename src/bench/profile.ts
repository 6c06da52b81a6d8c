/**
 * Where a decode step's GPU time goes (`tabserve bench --profile`). The last run's plan (a decode step:
 * measureOurs profiles right after its timed run) is replayed with each dispatch in a compute pass of its own
 * whose ends are timestamped (timestamp-query), and as the one pass the engine submits, timestamped at its
 * ends; medians over the repeats. Replaying a step writes the same K/V at the same position and the same
 * outputs again: nothing the engine reads changes. A pass per dispatch adds a little per dispatch, so the
 * dispatches' sum can exceed the one-pass step; the step's wall time per token (1 / decode tokens/s) against
 * the one-pass time is what the host and the gaps between steps add.
 */
import { readBuffer } from '../kernels/runtime.ts';
import { replay, type Plan } from '../model/plans.ts';

export interface StepProfile {
  stepNs: number; // the step as the one pass the engine submits
  dispatches: { label: string; ns: number }[]; // each dispatch alone, in order
}

/** The kernel of a pipeline label ('matmul_q8|TPR=64,...' -> 'matmul_q8'). */
export const kernelOf = (label: string) => label.split('|')[0] || '(unlabelled)';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Profiles `plan` on `device`, which must have 'timestamp-query' (see measureOurs). */
export async function profileStep(device: GPUDevice, plan: Plan, repeats = 7): Promise<StepProfile> {
  const n = plan.dispatches.length;
  const count = 2 * (n + 1); // a begin and an end per dispatch, then the whole step's
  const querySet = device.createQuerySet({ type: 'timestamp', count, label: 'profile' });
  const resolved = device.createBuffer({ size: 8 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'profile.resolved' });
  const each: number[][] = plan.dispatches.map(() => []);
  const steps: number[] = [];
  let spanMs = 0; // the last round's GPU time, first timestamp to last
  try {
    for (let r = 0; r < repeats + 1; r++) { // the first round warms up
      const enc = device.createCommandEncoder({ label: 'profile' });
      plan.dispatches.forEach((d, i) => {
        const pass = enc.beginComputePass({ label: 'profile', timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bind);
        pass.dispatchWorkgroups(...d.groups);
        pass.end();
      });
      const pass = enc.beginComputePass({ label: 'profile', timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * n, endOfPassWriteIndex: 2 * n + 1 } });
      replay(pass, plan); // as the engine encodes it
      pass.end();
      enc.resolveQuerySet(querySet, 0, count, resolved, 0);
      device.queue.submit([enc.finish()]);
      // Dawn in Node waits by polling on this thread, which on a software adapter takes a core from the
      // shader threads (as OutBuffers.mapRead says): sleep through most of the round first
      await new Promise((done) => setTimeout(done, 0.9 * spanMs));
      const t = new BigUint64Array(await readBuffer(device, resolved));
      spanMs = Number(t[2 * n + 1] - t[0]) / 1e6;
      if (r === 0) continue;
      for (let i = 0; i < n; i++) each[i].push(Number(t[2 * i + 1] - t[2 * i]));
      steps.push(Number(t[2 * n + 1] - t[2 * n]));
    }
  } finally {
    querySet.destroy();
    resolved.destroy();
  }
  return { stepNs: median(steps), dispatches: plan.dispatches.map((d, i) => ({ label: d.pipeline.label, ns: median(each[i]) })) };
}

export interface ProfileRow {
  kernel: string;
  dispatches: number; // per step
  ns: number; // their sum, per step
  share: number; // of every dispatch's sum
}

/** Per kernel, most time first. */
export function profileRows(p: StepProfile): ProfileRow[] {
  const by = new Map<string, ProfileRow>();
  const total = p.dispatches.reduce((s, d) => s + d.ns, 0);
  for (const d of p.dispatches) {
    const k = kernelOf(d.label);
    const row = by.get(k) ?? { kernel: k, dispatches: 0, ns: 0, share: 0 };
    row.dispatches++;
    row.ns += d.ns;
    row.share = total > 0 ? row.ns / total : 0;
    by.set(k, row);
  }
  return [...by.values()].sort((a, b) => b.ns - a.ns);
}
