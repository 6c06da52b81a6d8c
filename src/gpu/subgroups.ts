/**
 * Whether reductions may sum by subgroup shuffles, and over how many lanes. WGSL does not promise how a
 * workgroup's invocations fall into subgroups; the shuffle reductions (shaders/subgroup_sum.wgsl) assume
 * what every known driver does with a 1-D workgroup: subgroups of consecutive local_invocation_index,
 * lane = index % size. One small dispatch checks that on the device, once, and that shuffles pair the
 * lanes they should.
 */
import { readBuffer, storageBuffer } from '../kernels/runtime.ts';

const PROBE_WG = 64; // the matmuls' workgroup size

const PROBE_WGSL = `enable subgroups;
@group(0) @binding(0) var<storage, read_write> out: array<u32>; // [WG] 1 where the lane is as assumed
@compute @workgroup_size(${PROBE_WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
  let partner = subgroupShuffleXor(lid, 1u);
  out[lid] = select(0u, size, lane == lid % size && partner == (lid ^ 1u));
}
`;

const probed = new WeakMap<GPUDevice, Promise<number>>();

/**
 * Lanes a reduction may sum by shuffles on `device`: the adapter's smallest subgroup (so the order of the
 * sums does not depend on the size a pipeline gets), or 0 where the device lacks the `subgroups` feature or
 * its subgroups are not laid out as assumed. `minSize` is the adapter's subgroupMinSize (absent: WebGPU's
 * smallest, 4).
 */
export function subgroupLanes(device: GPUDevice, minSize = 4): Promise<number> {
  let p = probed.get(device);
  if (!p) {
    p = probe(device, minSize);
    probed.set(device, p);
  }
  return p;
}

async function probe(device: GPUDevice, minSize: number): Promise<number> {
  if (!device.features.has('subgroups') || device.limits.maxComputeInvocationsPerWorkgroup < PROBE_WG) return 0;
  device.pushErrorScope('validation');
  const out = storageBuffer(device, PROBE_WG * 4, 'subgroup probe');
  try {
    const module = device.createShaderModule({ code: PROBE_WGSL, label: 'subgroup probe' });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: 'subgroup probe' });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }));
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const sizes = new Uint32Array(await readBuffer(device, out, PROBE_WG * 4));
    if ((await device.popErrorScope()) !== null) return 0;
    const ok = sizes.every((s) => s >= minSize && s === sizes[0] && (s & (s - 1)) === 0);
    return ok ? minSize : 0;
  } catch {
    await device.popErrorScope();
    return 0;
  } finally {
    out.destroy();
  }
}
