/**
 * Downloads into the library, from the page: `startDownload` runs one in a download worker (at most one
 * per model id: starting it again returns the running one), `resumeDownloads` restarts every unfinished
 * download at app start-up, so a reload mid-download carries on by itself.
 *
 * Before the first byte is written the worker checks navigator.storage.estimate() against the bytes still
 * to come (QuotaError); here the page asks once for persistent storage, so the browser does not evict
 * models under storage pressure. A refusal is recorded (persistenceState) and the download goes on.
 */
import { LibraryError } from './errors.ts';
import { normalizeModelUrl } from './ids.ts';
import type { DownloadProgress } from './progress.ts';
import { allRecords, type StoredModel } from './records.ts';
import { runJob, type WorkerJob } from './worker_client.ts';

export type { DownloadProgress } from './progress.ts';

export interface DownloadRequest {
  id: string;
  name: string;
  url: string;
  bytes?: number; // approximate size: used when the server does not announce one
}

export interface DownloadOptions {
  onProgress?: (progress: DownloadProgress) => void;
}

export interface Download {
  readonly id: string;
  /** The complete model, or a QuotaError / LibraryError (reason 'cancelled' after cancel()). */
  readonly done: Promise<StoredModel>;
  /** Stops the download and keeps what arrived: starting it again resumes from there. */
  cancel(): void;
}

/** What watchDownloads reports: progress of any running download, and how each one ended. */
export type DownloadEvent = { id: string; kind: 'progress'; progress: DownloadProgress } | { id: string; kind: 'end'; model?: StoredModel; error?: Error };

/** 'refused': the browser may evict stored models when the disk runs low. */
export type PersistenceState = 'unknown' | 'granted' | 'refused' | 'unavailable';

interface Running {
  download: Download;
  job: WorkerJob;
  listeners: Set<(p: DownloadProgress) => void>;
  last: DownloadProgress | null;
}

const running = new Map<string, Running>();
const watchers = new Set<(e: DownloadEvent) => void>();
let persistence: Promise<PersistenceState> | undefined;
let persistenceNow: PersistenceState = 'unknown';

function emit(e: DownloadEvent) {
  for (const w of watchers) w(e);
}

/** Asks once per page for persistent storage; later calls return the first answer. */
export function requestPersistence(): Promise<PersistenceState> {
  persistence ??= (async (): Promise<PersistenceState> => {
    if (!navigator.storage?.persist) return 'unavailable';
    try {
      return (await navigator.storage.persisted()) || (await navigator.storage.persist()) ? 'granted' : 'refused';
    } catch {
      return 'unavailable';
    }
  })().then((s) => (persistenceNow = s));
  return persistence;
}

export function persistenceState(): PersistenceState {
  return persistenceNow;
}

/**
 * Starts (or resumes) downloading `entry` into the library; while one runs for `entry.id`, returns that one
 * and adds `onProgress` to it. Throws at once for a URL that is not http(s).
 */
export function startDownload(entry: DownloadRequest, options: DownloadOptions = {}): Download {
  const current = running.get(entry.id);
  if (current) {
    if (options.onProgress) current.listeners.add(options.onProgress);
    return current.download;
  }
  void requestPersistence();
  const { id } = entry;
  const listeners = new Set(options.onProgress ? [options.onProgress] : []);
  const job = runJob({ kind: 'download', id, name: entry.name, url: normalizeModelUrl(entry.url, globalThis.location?.href), expectedBytes: entry.bytes }, `the download of ${entry.name}`, (p) => {
    r.last = p;
    for (const l of listeners) l(p);
    emit({ id, kind: 'progress', progress: p });
  });
  const done = job.done.then(
    (model) => {
      running.delete(id);
      emit({ id, kind: 'end', model });
      return model;
    },
    (error: Error) => {
      running.delete(id);
      emit({ id, kind: 'end', error });
      throw error;
    },
  );
  done.catch(() => undefined); // a caller may ignore the outcome: watchers hear it anyway
  const r: Running = { download: { id, done, cancel: () => job.cancel() }, job, listeners, last: null };
  running.set(id, r);
  return r.download;
}

/** Resumes every unfinished download that has a URL (call it at start-up: a reload then continues). */
export async function resumeDownloads(onProgress?: (id: string, progress: DownloadProgress) => void): Promise<Download[]> {
  const unfinished = (await allRecords()).filter((m): m is StoredModel & { url: string } => !m.complete && m.url !== null);
  return unfinished.map((m) => startDownload({ id: m.id, name: m.name, url: m.url, bytes: m.totalBytes || undefined }, { onProgress: onProgress && ((p) => onProgress(m.id, p)) }));
}

/** Stops a running download and resolves once its worker has let go of the file; at once if none runs. */
export async function cancelDownload(id: string): Promise<void> {
  const r = running.get(id);
  if (!r) return;
  r.job.cancel();
  await r.job.settled;
}

/** The ids of the downloads running in this page. */
export function runningDownloads(): string[] {
  return [...running.keys()];
}

/** The last progress of a running download, or null. */
export function downloadProgress(id: string): DownloadProgress | null {
  return running.get(id)?.last ?? null;
}

/** Calls `fn` for every download event of this page until the returned function is called. */
export function watchDownloads(fn: (e: DownloadEvent) => void): () => void {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

/** True for the failures a person need not be told about (they asked for them, or another tab is on it). */
export function isQuietFailure(e: unknown): boolean {
  return e instanceof LibraryError && (e.reason === 'cancelled' || e.reason === 'busy');
}
