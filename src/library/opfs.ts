/**
 * Where the weights live: the origin private file system, directory `models`, one `<id>.gguf` per model.
 * Works in the page and in Workers (writes go through the download worker's sync access handles).
 */
import { LibraryError } from './errors.ts';

export const MODELS_DIR = 'models';

export function modelFileName(id: string): string {
  return `${id}.gguf`;
}

export async function modelsDir(): Promise<FileSystemDirectoryHandle> {
  try {
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(MODELS_DIR, { create: true });
  } catch (e) {
    throw new LibraryError('storage', `this browser does not let the site store files (${(e as Error).message}); in a private window models cannot be saved`);
  }
}

/** Removes `<id>.gguf`; nothing to do when it is not there. */
export async function removeModelFile(id: string): Promise<void> {
  const dir = await modelsDir();
  try {
    await dir.removeEntry(modelFileName(id));
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'NotFoundError') return;
    if (name === 'NoModificationAllowedError' || name === 'InvalidModificationError') {
      throw new LibraryError('busy', `the file of "${id}" is in use by another tab of this app (downloading there?); close that tab and try again`);
    }
    throw e;
  }
}
