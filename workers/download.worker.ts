/// <reference lib="webworker" />
/**
 * The download worker: one job per worker, a download from a URL or an import of a File from disk, written
 * into OPFS (`models/<id>.gguf`) through a sync access handle. Writes go in place at their offset (a
 * writable stream would copy the whole file on every open, which a resume of a 1 GB file cannot afford),
 * and every CHECKPOINT_MS the handle is flushed and only then is the record's downloadedBytes raised: a
 * reload or crash mid-download keeps everything the record counts. The page hears `progress` about ten
 * times a second and then one of done / failed / cancelled (src/library/protocol.ts).
 */
import { blobSource, parseGguf } from '../src/gguf/source.ts';
import { LibraryError, QuotaError, checkQuota } from '../src/library/errors.ts';
import { formatBytes } from '../src/library/format.ts';
import { parseContentLength, planResponse, rangeHeaders, type ResponseFacts } from '../src/library/http.ts';
import { modelFileName, modelsDir, removeModelFile } from '../src/library/opfs.ts';
import { toFailure, type FromDownloadWorker, type ToDownloadWorker } from '../src/library/protocol.ts';
import { Throttle } from '../src/library/progress.ts';
import { deleteRecord, getRecord, putRecord, type StoredModel } from '../src/library/records.ts';
import { magicProblem, summarizeHeader } from '../src/library/support.ts';

declare const self: DedicatedWorkerGlobalScope;

const CHECKPOINT_MS = 250; // flush + record at most this long apart: what a reload can lose
const PROGRESS_MS = 100; // ~10 progress messages a second
const LOCK_WAIT_MS = 10_000; // a reloaded page's old worker may hold the file for a moment
const IMPORT_CHUNK = 8 * 2 ** 20;

const abort = new AbortController();
let writer: ModelWriter | undefined; // the job's writer, for the bytes still needed when a write is refused

function post(msg: FromDownloadWorker) {
  self.postMessage(msg);
}

self.onmessage = (e: MessageEvent<ToDownloadWorker>) => {
  const msg = e.data;
  switch (msg.kind) {
    case 'cancel':
      abort.abort();
      break;
    case 'download':
      void run(() => download(msg));
      break;
    case 'import':
      void run(() => importFile(msg));
      break;
  }
};

async function run(job: () => Promise<StoredModel>) {
  try {
    post({ kind: 'done', model: await job() });
  } catch (e) {
    if (abort.signal.aborted) post({ kind: 'cancelled' });
    else post({ kind: 'failed', failure: toFailure(await explain(e)) });
  }
}

/** A refused write (QuotaExceededError) becomes a QuotaError with the numbers; the rest stays as it is. */
async function explain(e: unknown): Promise<unknown> {
  if ((e as Error | undefined)?.name !== 'QuotaExceededError') return e;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const needed = writer ? Math.max(0, writer.record.totalBytes - writer.pos) : 0;
  return new QuotaError(needed, Math.max(0, quota - usage));
}

/** Writes in place and checkpoints: flush first, then record, so the record never counts unflushed bytes. */
class ModelWriter {
  private lastCheckpoint = performance.now();
  private readonly progress = new Throttle(PROGRESS_MS);

  constructor(
    private readonly handle: FileSystemSyncAccessHandle,
    readonly record: StoredModel,
    public pos: number, // bytes in the file so far
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    for (let done = 0; done < bytes.length; ) {
      const n = this.handle.write(bytes.subarray(done), { at: this.pos + done });
      if (n <= 0) throw new LibraryError('storage', `the browser wrote nothing at byte ${this.pos + done} of ${this.record.id}`);
      done += n;
    }
    this.pos += bytes.length;
    const now = performance.now();
    if (this.progress.ready(now)) this.report();
    if (now - this.lastCheckpoint >= CHECKPOINT_MS) await this.checkpoint();
  }

  report() {
    post({ kind: 'progress', loadedBytes: this.pos, totalBytes: this.record.totalBytes });
  }

  async checkpoint(): Promise<void> {
    this.handle.flush();
    this.record.downloadedBytes = this.pos;
    await putRecord(this.record);
    this.lastCheckpoint = performance.now();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The file's exclusive handle, waiting a while if another context (an old worker, another tab) holds it. */
async function openLocked(file: FileSystemFileHandle, id: string): Promise<FileSystemSyncAccessHandle> {
  const deadline = performance.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await file.createSyncAccessHandle();
    } catch (e) {
      const locked = ['NoModificationAllowedError', 'InvalidStateError'].includes((e as Error).name);
      if (!locked) throw e;
      if (performance.now() > deadline) throw new LibraryError('busy', `"${id}" is being written by another tab of this app (downloading there?); it continues there`);
      abort.signal.throwIfAborted();
      await sleep(200);
    }
  }
}

/** Deletes the file and its record (a download that is not a model; an import that did not finish). */
async function forget(id: string) {
  await removeModelFile(id).catch(() => undefined);
  await deleteRecord(id);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

async function request(url: string, offset: number): Promise<Response> {
  try {
    return await fetch(url, { headers: rangeHeaders(offset), signal: abort.signal, cache: 'no-store' });
  } catch (e) {
    abort.signal.throwIfAborted();
    throw new LibraryError(
      'network',
      `could not reach ${hostOf(url)} (${(e as Error).message}). Check the connection; if the link is right, the server may not allow downloads from other sites (CORS).`,
    );
  }
}

function factsOf(res: Response): ResponseFacts {
  const h = res.headers;
  return { status: res.status, statusText: res.statusText, contentLength: parseContentLength(h.get('content-length')), contentRange: h.get('content-range'), etag: h.get('etag'), lastModified: h.get('last-modified') };
}

type DownloadJob = Extract<ToDownloadWorker, { kind: 'download' }>;

async function download(msg: DownloadJob): Promise<StoredModel> {
  const fileHandle = await (await modelsDir()).getFileHandle(modelFileName(msg.id), { create: true });
  const handle = await openLocked(fileHandle, msg.id);
  let record: StoredModel;
  let discard = false;
  try {
    record = await receive(msg, handle);
  } catch (e) {
    discard = e instanceof LibraryError && e.reason === 'not-gguf';
    throw e;
  } finally {
    handle.close();
    // a file without a record (refused before the first byte) or that is not a model is not kept
    if (discard || !(await getRecord(msg.id))) await forget(msg.id);
  }
  return finish(fileHandle, record);
}

/** Brings the file to its full size: resumes, restarts or completes, and returns the (checkpointed) record. */
async function receive(msg: DownloadJob, handle: FileSystemSyncAccessHandle): Promise<StoredModel> {
  const stored = await getRecord(msg.id);
  if (stored?.complete) return stored;
  const onDisk = handle.getSize();
  // the record counts only flushed bytes; the file may hold more (written after the last checkpoint)
  let asked = stored && stored.url === msg.url ? Math.min(stored.downloadedBytes, onDisk) : 0;
  let res = await request(msg.url, asked);
  let plan = planResponse(asked, factsOf(res), asked > 0 ? (stored ?? {}) : {});
  if (plan.kind === 'refetch') {
    await res.body?.cancel();
    asked = 0;
    res = await request(msg.url, 0);
    plan = planResponse(0, factsOf(res));
  }
  if (plan.kind === 'error' || plan.kind === 'refetch') {
    await res.body?.cancel();
    throw new LibraryError('http', `${msg.url}: ${plan.kind === 'error' ? plan.message : plan.why}`);
  }
  const base = { id: msg.id, name: msg.name, url: msg.url, complete: false, addedAt: stored?.addedAt ?? Date.now() };
  if (plan.kind === 'complete') {
    const record: StoredModel = { ...stored, ...base, totalBytes: plan.totalBytes, downloadedBytes: plan.totalBytes };
    handle.truncate(plan.totalBytes);
    handle.flush();
    await putRecord(record);
    return record;
  }
  const total = plan.totalBytes;
  const quota = checkQuota(await navigator.storage.estimate(), (total ?? msg.expectedBytes ?? 0) - plan.offset, onDisk - plan.offset);
  if (quota) {
    await res.body?.cancel();
    throw quota;
  }
  handle.truncate(plan.offset);
  const record: StoredModel = { ...base, totalBytes: total ?? 0, downloadedBytes: plan.offset };
  const etag = res.headers.get('etag');
  const lastModified = res.headers.get('last-modified');
  if (etag) record.etag = etag;
  if (lastModified) record.lastModified = lastModified;
  await putRecord(record);
  const w = (writer = new ModelWriter(handle, record, plan.offset));
  w.report();
  try {
    await stream(res, w, msg.url);
  } finally {
    await w.checkpoint(); // keep what arrived, whatever happened: cancel() and errors leave a resumable file
  }
  w.report();
  if (total !== null && w.pos !== total) {
    throw new LibraryError('size', `${msg.url}: the download ended at ${formatBytes(w.pos)} but the server announced ${formatBytes(total)}; try again to resume`);
  }
  return record;
}

async function stream(res: Response, w: ModelWriter, url: string): Promise<void> {
  if (!res.body) throw new LibraryError('network', `${url}: the server sent no data`);
  const reader = res.body.getReader();
  // the first bytes of a download from 0, to refuse an HTML page before writing it all
  let head: Uint8Array | null = w.pos === 0 ? new Uint8Array(0) : null;
  const sniff = () => {
    const problem = head && magicProblem(head);
    if (problem) throw new LibraryError('not-gguf', `${url}: ${problem}. For a Hugging Face model, use the file's "resolve/main/....gguf" link.`);
    head = null;
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        abort.signal.throwIfAborted();
        const of = w.record.totalBytes ? ` of ${formatBytes(w.record.totalBytes)}` : '';
        throw new LibraryError('network', `the connection to ${hostOf(url)} broke after ${formatBytes(w.pos)}${of} (${(e as Error).message}); what arrived is kept and the download resumes from there`);
      }
      if (chunk.done) break;
      if (head) {
        const joined = new Uint8Array(head.length + Math.min(chunk.value.length, 48));
        joined.set(head);
        joined.set(chunk.value.subarray(0, joined.length - head.length), head.length);
        head = joined;
        if (head.length >= 4) sniff();
      }
      await w.write(chunk.value);
    }
    if (head) sniff();
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
}

/** Checks the finished file's GGUF header (deleting it when it is not a model) and marks it complete. */
async function finish(fileHandle: FileSystemFileHandle, record: StoredModel): Promise<StoredModel> {
  const file = await fileHandle.getFile();
  let summary;
  try {
    summary = summarizeHeader(await parseGguf(blobSource(file, record.url ?? record.name)));
  } catch (e) {
    await forget(record.id);
    throw new LibraryError('not-gguf', `the file is not a valid GGUF model (${(e as Error).message}); it was not kept`);
  }
  const done: StoredModel = { ...record, ...summary, totalBytes: file.size, downloadedBytes: file.size, complete: true };
  if (!summary.problem) delete done.problem;
  await putRecord(done);
  return done;
}

type ImportJob = Extract<ToDownloadWorker, { kind: 'import' }>;

/** Copies a File from disk; a copy that does not finish is deleted (open the file again to retry). */
async function importFile({ id, file }: ImportJob): Promise<StoredModel> {
  const fileHandle = await (await modelsDir()).getFileHandle(modelFileName(id), { create: true });
  const handle = await openLocked(fileHandle, id);
  const record: StoredModel = { id, name: file.name, url: null, totalBytes: file.size, downloadedBytes: 0, complete: false, addedAt: Date.now() };
  let copied = false;
  try {
    await putRecord(record);
    handle.truncate(0);
    const w = (writer = new ModelWriter(handle, record, 0));
    w.report();
    for (let at = 0; at < file.size; at += IMPORT_CHUNK) {
      abort.signal.throwIfAborted();
      await w.write(new Uint8Array(await file.slice(at, at + IMPORT_CHUNK).arrayBuffer()));
    }
    await w.checkpoint();
    w.report();
    copied = true;
  } finally {
    handle.close();
    if (!copied) await forget(id);
  }
  return finish(fileHandle, record);
}
