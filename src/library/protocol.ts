/**
 * Messages between the page and workers/download.worker.ts. One job per worker: the page posts `download`
 * or `import` (and maybe `cancel`); the worker answers with `progress` (about 10 a second), then exactly one
 * of `done`, `failed` or `cancelled`.
 */
import { LibraryError, QuotaError, type LibraryErrorReason } from './errors.ts';
import type { StoredModel } from './records.ts';

export type ToDownloadWorker =
  | { kind: 'download'; id: string; name: string; url: string; expectedBytes?: number }
  | { kind: 'import'; id: string; file: File }
  | { kind: 'cancel' };

/** An error as plain data (Error subclasses lose their class over postMessage). */
export type Failure = { type: 'quota'; neededBytes: number; availableBytes: number } | { type: LibraryErrorReason; message: string };

export type FromDownloadWorker =
  | { kind: 'progress'; loadedBytes: number; totalBytes: number }
  | { kind: 'done'; model: StoredModel }
  | { kind: 'failed'; failure: Failure }
  | { kind: 'cancelled' };

export function toFailure(e: unknown): Failure {
  if (e instanceof QuotaError) return { type: 'quota', neededBytes: e.neededBytes, availableBytes: e.availableBytes };
  if (e instanceof LibraryError) return { type: e.reason, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'internal', message: `${err.name}: ${err.message}` };
}

export function fromFailure(f: Failure): QuotaError | LibraryError {
  return f.type === 'quota' ? new QuotaError(f.neededBytes, f.availableBytes) : new LibraryError(f.type, f.message);
}
