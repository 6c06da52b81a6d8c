/**
 * The library as the app sees it: what is stored, the File of a complete model (to load into the engine),
 * deleting, and importing a .gguf from disk. Weights are in OPFS (opfs.ts), metadata in IndexedDB
 * (records.ts); downloads are in download.ts.
 */
import { blobSource, parseGguf } from '../gguf/source.ts';
import { BUILTIN_MODEL } from './catalog.ts';
import { cancelDownload } from './download.ts';
import { LibraryError, checkQuota } from './errors.ts';
import { formatBytes } from './format.ts';
import { idFromFileName, uniqueId } from './ids.ts';
import { modelFileName, modelsDir, removeModelFile } from './opfs.ts';
import type { DownloadProgress } from './progress.ts';
import { allRecords, deleteRecord, getRecord, type StoredModel } from './records.ts';
import { summarizeHeader } from './support.ts';
import { runJob } from './worker_client.ts';

export type { StoredModel } from './records.ts';

export interface StorageNumbers {
  usageBytes: number;
  quotaBytes: number;
}

/** Every stored model (complete or not), oldest first. */
export function listModels(): Promise<StoredModel[]> {
  return allRecords();
}

export function getModel(id: string): Promise<StoredModel | undefined> {
  return getRecord(id);
}

/** The weights of a complete model, as a File (read lazily: a 1 GB model is not read into memory). */
export async function modelFile(id: string): Promise<File> {
  const model = await getRecord(id);
  if (!model) throw new LibraryError('missing', `there is no model "${id}" in the library`);
  if (!model.complete) {
    const of = model.totalBytes ? ` of ${formatBytes(model.totalBytes)}` : '';
    throw new LibraryError('incomplete', `"${model.name}" is not fully downloaded yet (${formatBytes(model.downloadedBytes)}${of}); let the download finish`);
  }
  let file: File;
  try {
    file = await (await (await modelsDir()).getFileHandle(modelFileName(id))).getFile();
  } catch (e) {
    throw new LibraryError('missing', `the file of "${model.name}" is gone from this browser's storage (${(e as Error).message}); delete it and download it again`);
  }
  if (file.size !== model.totalBytes) {
    throw new LibraryError('incomplete', `the file of "${model.name}" has ${formatBytes(file.size)}, not ${formatBytes(model.totalBytes)}; delete it and download it again`);
  }
  return file;
}

/** Removes a model's file and metadata, stopping its download first if one is running. */
export async function deleteModel(id: string): Promise<void> {
  await cancelDownload(id);
  await removeModelFile(id);
  await deleteRecord(id);
}

/** Usage and quota of this site's storage, as the browser estimates them. */
export async function storageNumbers(): Promise<StorageNumbers> {
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  return { usageBytes: usage, quotaBytes: quota };
}

/**
 * Copies a .gguf file from disk into the library, so it is there after a reload. The header is checked
 * first: a file that is not GGUF, or a model tabserve cannot run, is refused before anything is copied.
 */
export async function importFile(file: File, onProgress?: (p: DownloadProgress) => void): Promise<StoredModel> {
  let problem: string | undefined;
  try {
    problem = summarizeHeader(await parseGguf(blobSource(file))).problem;
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(`${file.name}: `, '') : String(e);
    throw new LibraryError('not-gguf', `"${file.name}" is not a GGUF model file (${reason}). Open a .gguf model, such as one downloaded from Hugging Face.`);
  }
  if (problem) throw new LibraryError('unsupported', `"${file.name}" cannot run in tabserve: ${problem}`);
  const quota = checkQuota(await navigator.storage.estimate(), file.size);
  if (quota) throw quota;
  const taken = new Set([BUILTIN_MODEL.id, ...(await allRecords()).map((m) => m.id)]);
  const id = uniqueId(idFromFileName(file.name), taken);
  return runJob({ kind: 'import', id, file }, `the copy of ${file.name}`, onProgress ?? (() => undefined)).done;
}
