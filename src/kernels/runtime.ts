/**
 * Small helpers every kernel wrapper uses: buffers, uniform params, dispatch sizes, read-back.
 * A kernel wrapper owns its pipelines (keyed by a flat "k=v,..." string of override constants).
 */

// read at call time: in Node the WebGPU globals exist only once src/gpu/node.ts has loaded Dawn
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A storage buffer holding `data` (or `byteLength` zero bytes), padded to a multiple of 4 bytes. */
export function storageBuffer(device: GPUDevice, data: ArrayBufferView | number, label?: string): GPUBuffer {
  const size = typeof data === 'number' ? data : data.byteLength;
  const padded = Math.max(16, Math.ceil(size / 16) * 16); // whole 16-byte words: kernels read vec4s
  if (typeof data === 'number') return device.createBuffer({ size: padded, usage: storageUsage(), label });
  // mapped at creation: any byte length (writeBuffer needs multiples of 4, and Q8_0 rows are 34 bytes per block)
  const buf = device.createBuffer({ size: padded, usage: storageUsage(), label, mappedAtCreation: true });
  new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}

/**
 * Uniform Params for many dispatches in one buffer: each push takes a 256-byte slot (the WebGPU
 * minimum uniform offset alignment) in blocks of BLOCK bytes. Push while encoding, flush() before
 * submit, reset() to reuse the blocks for the next command buffer (queue.writeBuffer is ordered after
 * earlier submits, so those still see their own values).
 */
export class Uniforms {
  static readonly SLOT = 256; // bytes
  static readonly BLOCK = 64 * 1024; // bytes
  private readonly blocks: { buf: GPUBuffer; data: Uint8Array }[] = [];
  private used = 0; // slots pushed since reset

  constructor(private readonly device: GPUDevice) {}

  push(words: ArrayBuffer): GPUBufferBinding {
    if (words.byteLength > Uniforms.SLOT) throw new Error(`uniform Params of ${words.byteLength} bytes exceed ${Uniforms.SLOT}`);
    const perBlock = Uniforms.BLOCK / Uniforms.SLOT;
    const b = Math.floor(this.used / perBlock);
    if (b === this.blocks.length) {
      const buf = this.device.createBuffer({ size: Uniforms.BLOCK, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'params' });
      this.blocks.push({ buf, data: new Uint8Array(Uniforms.BLOCK) });
    }
    const offset = (this.used % perBlock) * Uniforms.SLOT;
    this.blocks[b].data.set(new Uint8Array(words), offset);
    this.blocks[b].data.fill(0, offset + words.byteLength, offset + Uniforms.SLOT); // no stale bytes: snapshots compare equal
    this.used++;
    return { buffer: this.blocks[b].buf, offset, size: Math.ceil(words.byteLength / 16) * 16 };
  }

  flush(): void {
    const perBlock = Uniforms.BLOCK / Uniforms.SLOT;
    for (let b = 0; b * perBlock < this.used; b++) {
      const bytes = Math.min(this.used - b * perBlock, perBlock) * Uniforms.SLOT;
      this.device.queue.writeBuffer(this.blocks[b].buf, 0, this.blocks[b].data, 0, bytes);
    }
  }

  reset(): void {
    this.used = 0;
  }

  /** The Params pushed since reset(), slot by slot: what load() takes to push the same again. */
  snapshot(): Uint8Array {
    const out = new Uint8Array(this.used * Uniforms.SLOT);
    for (let at = 0, b = 0; at < out.length; at += Uniforms.BLOCK, b++) out.set(this.blocks[b].data.subarray(0, Math.min(Uniforms.BLOCK, out.length - at)), at);
    return out;
  }

  /**
   * Replaces what was pushed since reset() with a snapshot(), into the same slots, for the bind groups of the
   * dispatches that pushed it (a replayed plan, model/plans.ts). flush() before submit, as after pushes.
   */
  load(snapshot: Uint8Array): void {
    const n = snapshot.length / Uniforms.SLOT;
    if (n > this.blocks.length * (Uniforms.BLOCK / Uniforms.SLOT)) throw new Error(`uniforms: a snapshot of ${n} slots is more than were ever pushed`);
    for (let at = 0, b = 0; at < snapshot.length; at += Uniforms.BLOCK, b++) this.blocks[b].data.set(snapshot.subarray(at, Math.min(at + Uniforms.BLOCK, snapshot.length)));
    this.used = n;
  }

  destroy(): void {
    for (const b of this.blocks) b.buf.destroy();
    this.blocks.length = 0;
  }
}

/** One dispatch as encoded: what a replay (model/plans.ts) encodes again. */
export interface EncodedDispatch {
  pipeline: GPUComputePipeline;
  bind: GPUBindGroup;
  groups: [number, number?, number?];
}

/** What a kernel wrapper encodes into: a command encoder and the Params slots of its dispatches. */
export interface Recorder {
  encoder: GPUCommandEncoder;
  uniforms: Uniforms;
  pass?: GPUComputePassEncoder; // when set, dispatches go into this open pass (one per forward) instead of one each
  dispatches?: EncodedDispatch[]; // when set, each dispatch is appended here too
}

/** A binding: a whole buffer, or a byte range of one (offset a multiple of minStorageBufferOffsetAlignment). */
export type Binding = GPUBuffer | GPUBufferBinding;

/** Workgroup counts for `groups` workgroups, spilling into y past the per-dimension limit. */
export function dispatchSize(device: GPUDevice, groups: number): [number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  const y = Math.ceil(groups / max);
  return [Math.ceil(groups / y), y];
}

/** The largest power of two <= min(want, the device's invocation limits). */
export function workgroupSize(device: GPUDevice, want: number): number {
  const cap = Math.min(want, device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX);
  return 2 ** Math.floor(Math.log2(cap));
}

/** Copies a buffer back to the CPU. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, byteLength = src.size): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: byteLength, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, byteLength);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.destroy();
  return out;
}

export function constantsKey(constants: Record<string, number>): string {
  return Object.entries(constants)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Runs `fn` inside validation and out-of-memory error scopes; returns the first GPU error's message. */
export async function withErrorScopes(device: GPUDevice, fn: () => void): Promise<string | undefined> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  const oom = await device.popErrorScope();
  const validation = await device.popErrorScope();
  if (thrown) throw thrown;
  return (oom ?? validation)?.message;
}
