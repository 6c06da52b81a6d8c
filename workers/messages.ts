/**
 * Messages between the page and the inference Worker: a discriminated union on `kind`, one payload each.
 * Later issues add model loading and generation; the Service Worker talks to the same Worker.
 */
import type { GpuInfo } from '../src/gpu/device.ts';

/** Page -> Worker. */
export type ToWorker = { kind: 'probe' };

/** Worker -> page. */
export type FromWorker = { kind: 'gpu'; info: GpuInfo } | { kind: 'error'; code: string; message: string };
