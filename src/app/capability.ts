/**
 * What the app needs from the browser before it can run a model, checked on start so that a missing piece
 * is a clear page ("what is missing, what would work") rather than a failure deep inside a load.
 *   probeCapabilities(): gathers the facts in a page (no GPU device is created);
 *   capabilityProblems(facts): pure, the list of blocking problems and of warnings, each with its fix.
 * The limits are the WebGPU defaults, which every core adapter guarantees and the kernels stay within
 * (256 invocations per workgroup, up to 7 storage buffers per kernel, tensors split to fit a binding):
 * an adapter below them is a compatibility-mode or otherwise reduced one.
 */

export const REQUIRED_LIMITS = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupStorageSize: 16384, // bytes
  maxStorageBufferBindingSize: 128 * 2 ** 20, // bytes
  maxBufferSize: 256 * 2 ** 20, // bytes
} as const;

export type RequiredLimit = keyof typeof REQUIRED_LIMITS;

/** Below this much device memory (navigator.deviceMemory, GiB) even the built-in model may not fit. */
export const MIN_DEVICE_MEMORY_GIB = 1;
/** Below this, real models (hundreds of MB) are unlikely to fit: a warning, not a block. */
export const LOW_DEVICE_MEMORY_GIB = 4;

export interface CapabilityFacts {
  secureContext: boolean;
  serviceWorker: boolean;
  opfs: boolean;
  webgpu: boolean;
  /** null: requestAdapter() found none (or WebGPU is missing). */
  adapter: { description: string; limits: Record<RequiredLimit, number> } | null;
  /** navigator.deviceMemory (GiB, Chromium only); undefined where the browser does not say. */
  deviceMemoryGiB?: number;
}

export interface Problem {
  /** Stable name for tests and styling. */
  code: 'insecure-context' | 'no-service-worker' | 'no-opfs' | 'no-webgpu' | 'no-adapter' | 'low-limit' | 'low-memory';
  /** What is missing, in plain words. */
  what: string;
  /** What would work instead. */
  fix: string;
}

const BROWSERS = 'Chrome or Edge 113 or newer (Windows, macOS, ChromeOS, Android 12+), or Safari 26';

export function capabilityProblems(f: CapabilityFacts): { blocking: Problem[]; warnings: Problem[] } {
  const blocking: Problem[] = [];
  const warnings: Problem[] = [];
  if (!f.secureContext) {
    blocking.push({ code: 'insecure-context', what: 'This page is not a secure context, so the browser turns off Service Workers and WebGPU.', fix: 'Open it over https:// or from http://localhost.' });
  } else if (!f.serviceWorker) {
    blocking.push({ code: 'no-service-worker', what: 'This browser does not offer Service Workers here (a private window may turn them off).', fix: `Use a normal window of ${BROWSERS}.` });
  }
  if (!f.opfs) {
    blocking.push({ code: 'no-opfs', what: 'This browser does not offer the Origin Private File System, where models are stored.', fix: `Use ${BROWSERS}.` });
  }
  if (!f.webgpu) {
    blocking.push({ code: 'no-webgpu', what: 'This browser has no WebGPU.', fix: `Use ${BROWSERS}. On Linux, Chrome needs chrome://flags/#enable-unsafe-webgpu.` });
  } else if (!f.adapter) {
    blocking.push({
      code: 'no-adapter',
      what: 'WebGPU is present but found no usable GPU adapter (the GPU or its driver is blocked, or hardware acceleration is off).',
      fix: 'Turn on hardware acceleration in the browser settings and update the GPU driver; on Linux, Chrome needs chrome://flags/#enable-unsafe-webgpu (and Vulkan).',
    });
  } else {
    for (const [name, need] of Object.entries(REQUIRED_LIMITS) as [RequiredLimit, number][]) {
      const have = f.adapter.limits[name];
      if (!(have >= need)) {
        blocking.push({
          code: 'low-limit',
          what: `The GPU adapter (${f.adapter.description || 'unnamed'}) allows ${name} = ${have}; tabserve needs at least ${need}.`,
          fix: 'This is a reduced (compatibility) adapter: try another browser or device with full WebGPU.',
        });
      }
    }
  }
  const mem = f.deviceMemoryGiB;
  if (mem !== undefined && mem < MIN_DEVICE_MEMORY_GIB) {
    blocking.push({ code: 'low-memory', what: `This device reports ${mem} GiB of memory; a model needs more.`, fix: 'Use a device with at least 2 GiB of memory.' });
  } else if (mem !== undefined && mem < LOW_DEVICE_MEMORY_GIB) {
    warnings.push({ code: 'low-memory', what: `This device reports ${mem} GiB of memory.`, fix: 'The built-in test model works; pick the smallest models from the library (135M–360M parameters).' });
  }
  return { blocking, warnings };
}

/** The facts of this page's browser; asks for an adapter but creates no device. */
export async function probeCapabilities(): Promise<CapabilityFacts> {
  const nav = navigator as Navigator & { deviceMemory?: number };
  const webgpu = 'gpu' in navigator && navigator.gpu !== undefined;
  let adapter: CapabilityFacts['adapter'] = null;
  if (webgpu) {
    const a = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (a) {
      const limits = {} as Record<RequiredLimit, number>;
      for (const k of Object.keys(REQUIRED_LIMITS) as RequiredLimit[]) limits[k] = a.limits[k];
      adapter = { description: [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' '), limits };
    }
  }
  return {
    secureContext: globalThis.isSecureContext,
    serviceWorker: 'serviceWorker' in navigator,
    opfs: typeof navigator.storage?.getDirectory === 'function',
    webgpu,
    adapter,
    deviceMemoryGiB: nav.deviceMemory,
  };
}
