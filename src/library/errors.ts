/**
 * The library's errors, each with a message a person can act on. QuotaError carries the numbers so the UI
 * (or a test) can show them; LibraryError says which kind of failure it was. Both cross the download
 * worker's postMessage as plain data (see protocol.ts) and are rebuilt on the page. Pure (Node-testable).
 */
import { formatBytes } from './format.ts';

/** Not enough storage left for this site: thrown before a byte is written, or when a write is refused. */
export class QuotaError extends Error {
  override name = 'QuotaError';

  constructor(
    readonly neededBytes: number, // what the model still needs
    readonly availableBytes: number, // quota − usage for this site
  ) {
    super(
      `Not enough storage for this model: it needs ${formatBytes(neededBytes)} more, but only ${formatBytes(availableBytes)} ` +
        'is free for this site. Delete models you no longer use, or free disk space on this device, then try again.',
    );
  }
}

export type LibraryErrorReason =
  | 'network' // the server could not be reached, or the connection broke (what arrived is kept)
  | 'http' // the server answered with an error status
  | 'not-gguf' // the file is not a GGUF model
  | 'unsupported' // a GGUF model tabserve cannot run (K-quants, other architectures)
  | 'size' // the download ended short of (or past) the size the server announced
  | 'busy' // another tab holds the file (it is downloading there)
  | 'missing' // no such model in the library
  | 'incomplete' // asked for the file of a model still downloading
  | 'cancelled' // stopped by cancel() or deleteModel()
  | 'storage' // the browser refused file storage (OPFS) altogether
  | 'internal';

export class LibraryError extends Error {
  override name = 'LibraryError';

  constructor(
    readonly reason: LibraryErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The QuotaError to throw when `neededBytes` more do not fit, or null when they do. `freedBytes` are bytes
 * the operation will delete first (a partial file it restarts). An estimate without a quota checks nothing.
 * `estimate` is what navigator.storage.estimate() resolves to.
 */
export function checkQuota(estimate: StorageEstimate, neededBytes: number, freedBytes = 0): QuotaError | null {
  if (estimate.quota === undefined) return null;
  const available = Math.max(0, estimate.quota - (estimate.usage ?? 0) + freedBytes);
  return neededBytes > available ? new QuotaError(neededBytes, available) : null;
}
