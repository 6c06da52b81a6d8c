/**
 * The page's side of one download-worker job: starts the worker, turns its byte counts into
 * DownloadProgress (speed and time left measured here), and settles `done` with the model or a rebuilt
 * QuotaError / LibraryError. The worker is terminated when the job ends.
 */
import { LibraryError } from './errors.ts';
import { SpeedMeter, progressOf, type DownloadProgress } from './progress.ts';
import { fromFailure, type FromDownloadWorker, type ToDownloadWorker } from './protocol.ts';
import type { StoredModel } from './records.ts';

export interface WorkerJob {
  done: Promise<StoredModel>;
  /** Asks the worker to stop; it keeps a download's partial file (an import's is deleted). */
  cancel(): void;
  /** Resolves once the worker is gone (its file handle closed), whatever the outcome. */
  settled: Promise<void>;
}

const CANCEL_GRACE_MS = 5000; // a worker that does not answer a cancel by then is terminated

export function runJob(job: Exclude<ToDownloadWorker, { kind: 'cancel' }>, label: string, onProgress: (p: DownloadProgress) => void): WorkerJob {
  const worker = new Worker(new URL('../../workers/download.worker.ts', import.meta.url), { type: 'module', name: `tabserve ${job.kind} ${job.id}` });
  const meter = new SpeedMeter();
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  let rejectDone!: (e: Error) => void;
  const done = new Promise<StoredModel>((resolve, reject) => {
    rejectDone = reject;
    const end = (f: () => void) => {
      worker.terminate();
      settle();
      f();
    };
    worker.onmessage = (e: MessageEvent<FromDownloadWorker>) => {
      const m = e.data;
      switch (m.kind) {
        case 'progress':
          meter.add(m.loadedBytes, performance.now());
          onProgress(progressOf(m.loadedBytes, m.totalBytes, meter.bytesPerSecond()));
          break;
        case 'done':
          end(() => resolve(m.model));
          break;
        case 'failed':
          end(() => reject(fromFailure(m.failure)));
          break;
        case 'cancelled':
          end(() => reject(new LibraryError('cancelled', `${label} was stopped`)));
          break;
      }
    };
    worker.onerror = (e) => end(() => reject(new LibraryError('internal', `the download worker failed: ${e.message}`)));
  });
  worker.postMessage(job);
  return {
    done,
    settled,
    cancel() {
      worker.postMessage({ kind: 'cancel' } satisfies ToDownloadWorker);
      const timer = setTimeout(() => {
        worker.terminate();
        settle();
        rejectDone(new LibraryError('cancelled', `${label} was stopped`));
      }, CANCEL_GRACE_MS);
      void settled.then(() => clearTimeout(timer));
    },
  };
}
