/**
 * The subgroup probe on a real device: with the feature, the adapter's smallest subgroup (lavapipe's
 * subgroups hold consecutive invocations, as every known driver's); on a device opened without the
 * feature, 0, so no kernel module names it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Gpu } from './device.ts';
import { nodeGpu } from './node.ts';
import { openTestGpu } from './node_testing.ts';
import { subgroupLanes } from './subgroups.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.device.destroy());

test('a device with subgroups: lanes = the adapter\'s smallest subgroup, the same on a second call', async () => {
  const adapter = (await (await nodeGpu()).requestAdapter())!;
  const min = adapter.info.subgroupMinSize ?? 4;
  expect(gpu.info.subgroups).toBe(adapter.features.has('subgroups'));
  expect(gpu.info.subgroupLanes).toBe(gpu.info.subgroups ? min : 0);
  expect(await subgroupLanes(gpu.device, min)).toBe(gpu.info.subgroupLanes);
});

test('a device without the feature: 0', async () => {
  const adapter = (await (await nodeGpu()).requestAdapter())!;
  const device = await adapter.requestDevice();
  try {
    expect(device.features.has('subgroups')).toBe(false);
    expect(await subgroupLanes(device, adapter.info.subgroupMinSize ?? 4)).toBe(0);
  } finally {
    device.destroy();
  }
});
