import { describe, expect, test } from 'vitest';
import { capabilityProblems, REQUIRED_LIMITS, type CapabilityFacts } from './capability.ts';

const good: CapabilityFacts = { secureContext: true, serviceWorker: true, opfs: true, webgpu: true, adapter: { description: 'test gpu', limits: { ...REQUIRED_LIMITS } }, deviceMemoryGiB: 8 };
const codes = (f: CapabilityFacts) => {
  const r = capabilityProblems(f);
  return { blocking: r.blocking.map((p) => p.code), warnings: r.warnings.map((p) => p.code) };
};

describe('capabilityProblems', () => {
  test('a browser with everything at the WebGPU defaults has no problem', () => {
    expect(codes(good)).toEqual({ blocking: [], warnings: [] });
    expect(codes({ ...good, deviceMemoryGiB: undefined })).toEqual({ blocking: [], warnings: [] });
  });

  test('each missing piece is named, with a fix', () => {
    expect(codes({ ...good, webgpu: false, adapter: null }).blocking).toEqual(['no-webgpu']);
    expect(codes({ ...good, adapter: null }).blocking).toEqual(['no-adapter']);
    expect(codes({ ...good, secureContext: false, serviceWorker: false }).blocking).toEqual(['insecure-context']);
    expect(codes({ ...good, serviceWorker: false }).blocking).toEqual(['no-service-worker']);
    expect(codes({ ...good, opfs: false }).blocking).toEqual(['no-opfs']);
    for (const p of capabilityProblems({ ...good, webgpu: false, adapter: null, opfs: false }).blocking) {
      expect(p.what.length).toBeGreaterThan(10);
      expect(p.fix.length).toBeGreaterThan(10);
    }
  });

  test('a limit below what the kernels need blocks and names the limit and both numbers', () => {
    const compat = { ...good, adapter: { description: 'compat', limits: { ...REQUIRED_LIMITS, maxStorageBuffersPerShaderStage: 4 } } };
    const r = capabilityProblems(compat);
    expect(r.blocking.map((p) => p.code)).toEqual(['low-limit']);
    expect(r.blocking[0].what).toContain('maxStorageBuffersPerShaderStage = 4');
    expect(r.blocking[0].what).toContain('at least 8');
  });

  test('memory: under 1 GiB blocks, under 4 GiB warns', () => {
    expect(codes({ ...good, deviceMemoryGiB: 0.5 })).toEqual({ blocking: ['low-memory'], warnings: [] });
    expect(codes({ ...good, deviceMemoryGiB: 2 })).toEqual({ blocking: [], warnings: ['low-memory'] });
  });
});
