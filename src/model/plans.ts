/**
 * Step plans: decode steps repeat. Step after step the forward encodes the same dispatches, with the same
 * buffers and the same Params; only the buffers' contents change (token ids, positions, page tables, topk
 * adjustments). A plan is one run's dispatches as encoded (pipeline, bind group, workgroup counts) and the
 * bytes of its Params; a later chunk with the same key replays it: three calls per dispatch and one write of
 * the Params (none when the run before had the same plan), instead of every kernel wrapper's work again (the
 * host time of a step, issue 10). And since the next chunk most likely has the same key, the forward replays
 * the plan into the next run's command buffer right after it submits a run, while the GPU works (Ahead): the
 * next run then only writes its inputs and submits.
 *
 * The key holds everything of a chunk that the dispatches or their Params depend on (planKey); the forward
 * forgets its plans whenever it replaces a buffer they bind. A forward with checkPlans encodes every run
 * afresh and compares it with the plan it would have replayed (samePlan), so tests prove the key complete.
 */
import type { EncodedDispatch } from '../kernels/runtime.ts';
import { topkAdjSlots } from '../kernels/topk.ts';
import type { KvPool } from '../kv/pool.ts';
import type { Chunk } from './chunk.ts';
import type { ReadBack } from './out_buffers.ts';

export interface Plan {
  dispatches: EncodedDispatch[];
  params: Uint8Array; // Uniforms.snapshot() after the dispatches were encoded
}

/**
 * What a run's dispatches and Params depend on besides the forward's own buffers: the chunk's token count,
 * the split attention's splits (of its longest sequence), which rows give logits, and topk's k, adjustment
 * slots (topkAdjSlots), temperature, masks and whether rows draw. Not the ids, positions, page tables,
 * adjustments, mask bits or draw rows: those are buffer contents, written each run.
 */
export function planKey(c: Chunk, splits: number): string {
  const t = c.topk;
  const topk = t ? `${t.k} ${topkAdjSlots(t.adj.length)} ${t.invTemp} ${t.masks ? t.masks.words : '-'} ${t.draws ? 'draw' : '-'}` : '-';
  return `${c.ids.length}|${splits}|${c.logitRows.join(' ')}|${topk}`;
}

/** The plans of the last `max` keys used, most recent last. */
export class Plans {
  private readonly plans = new Map<string, Plan>();

  constructor(private readonly max = 16) {}

  get(key: string): Plan | undefined {
    const plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key); // most recently used goes last
      this.plans.set(key, plan);
    }
    return plan;
  }

  set(key: string, plan: Plan): void {
    this.plans.delete(key);
    this.plans.set(key, plan);
    if (this.plans.size > this.max) this.plans.delete(this.plans.keys().next().value!);
  }

  clear(): void {
    this.plans.clear();
  }

  get size(): number {
    return this.plans.size;
  }
}

/** Encodes a plan's dispatches into an open pass (its Params: Uniforms.load(plan.params) before submit). */
export function replay(pass: GPUComputePassEncoder, plan: Plan): void {
  let pipeline: GPUComputePipeline | undefined;
  for (const d of plan.dispatches) {
    if (d.pipeline !== pipeline) pass.setPipeline((pipeline = d.pipeline));
    pass.setBindGroup(0, d.bind);
    pass.dispatchWorkgroups(...d.groups);
  }
}

/**
 * A run's command buffer encoded ahead, while the GPU ran the run before: a replay of that run's plan, with no
 * KV page copies, and the copy of what it reads back into `staging`. A chunk may take it when its key has
 * the same plan (so the same dispatches, Params and read-back), it has no page copies, and the read-back
 * buffer is the same one.
 */
export interface Ahead {
  plan: Plan;
  staging?: GPUBuffer;
  cb: GPUCommandBuffer;
}

/** Whether a chunk whose key has `plan` and whose run reads back into `staging` can run `ahead`'s commands. */
export function aheadFits(ahead: Ahead, plan: Plan, staging: GPUBuffer | undefined, c: Chunk): boolean {
  return ahead.plan === plan && ahead.staging === staging && c.copies.length === 0;
}

/**
 * A run's command buffer: the KV page copies, then one compute pass (every dispatch of the run, encoded by
 * `fill`), then the copy of what it reads back into the MAP_READ staging buffer, then `last` (more copies).
 */
export function runCommands(
  device: GPUDevice,
  kv: KvPool,
  copies: Chunk['copies'],
  read: ReadBack | undefined,
  staging: GPUBuffer | undefined,
  fill: (pass: GPUComputePassEncoder, encoder: GPUCommandEncoder) => void,
  last?: (encoder: GPUCommandEncoder) => void,
): GPUCommandBuffer {
  const encoder = device.createCommandEncoder({ label: 'forward' });
  kv.encodeCopies(encoder, copies);
  const pass = encoder.beginComputePass({ label: 'forward' });
  fill(pass, encoder);
  pass.end();
  if (read && staging) encoder.copyBufferToBuffer(read.src, 0, staging, 0, read.bytes);
  last?.(encoder);
  return encoder.finish();
}

/** Where two plans differ, or undefined when a replay of one encodes the other. */
export function samePlan(a: Plan, b: Plan): string | undefined {
  if (a.dispatches.length !== b.dispatches.length) return `${a.dispatches.length} dispatches, then ${b.dispatches.length}`;
  for (let i = 0; i < a.dispatches.length; i++) {
    const [x, y] = [a.dispatches[i], b.dispatches[i]];
    if (x.pipeline !== y.pipeline) return `dispatch ${i}: pipeline ${x.pipeline.label}, then ${y.pipeline.label}`;
    if (x.bind !== y.bind) return `dispatch ${i} (${x.pipeline.label}): another bind group`;
    if (x.groups.join() !== y.groups.join()) return `dispatch ${i} (${x.pipeline.label}): workgroups ${x.groups.join()}, then ${y.groups.join()}`;
  }
  if (a.params.length !== b.params.length) return `${a.params.length} bytes of Params, then ${b.params.length}`;
  const at = a.params.findIndex((v, i) => v !== b.params[i]);
  return at < 0 ? undefined : `Params differ at byte ${at} (slot ${Math.floor(at / 256)})`;
}
