/**
 * The library's metadata in IndexedDB (idb-keyval, own database `tabserve-library`, store `models`), keyed
 * by model id. Used by the page and by the download worker. The weights themselves live in OPFS (opfs.ts).
 */
import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';

export interface StoredModel {
  id: string;
  name: string;
  url: string | null; // null: opened from disk
  totalBytes: number; // 0 while unknown
  downloadedBytes: number; // flushed to the OPFS file: never more than what is on disk
  complete: boolean; // every byte is here and the GGUF header was checked
  etag?: string; // from the first response, to tell a resumed range from a changed file
  lastModified?: string;
  addedAt: number; // ms since the epoch
  arch?: string; // from the GGUF header, once complete
  quant?: string; // the most common weight type, e.g. "Q8_0"
  problem?: string; // why tabserve cannot run it (e.g. K-quant weights); absent when it can
}

// created on first use: createStore opens the database at once, and this module is imported in Workers too
let store: UseStore | undefined;
const db = () => (store ??= createStore('tabserve-library', 'models'));

export function getRecord(id: string): Promise<StoredModel | undefined> {
  return get<StoredModel>(id, db());
}

export function putRecord(model: StoredModel): Promise<void> {
  return set(model.id, model, db());
}

export function deleteRecord(id: string): Promise<void> {
  return del(id, db());
}

/** Every stored model, oldest first. */
export async function allRecords(): Promise<StoredModel[]> {
  return (await values<StoredModel>(db())).sort((a, b) => a.addedAt - b.addedAt);
}
