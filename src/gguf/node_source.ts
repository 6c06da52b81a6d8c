/** A GGUF ByteSource over a Node file path: positioned reads, the file is never read whole. */
import { open, stat } from 'node:fs/promises';
import { GgufError } from './errors.ts';
import type { ByteSource } from './source.ts';

export async function fileSource(path: string): Promise<ByteSource> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new GgufError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return {
    name: path,
    size,
    async read(offset, length) {
      const fh = await open(path, 'r');
      try {
        const buf = new Uint8Array(length);
        const { bytesRead } = await fh.read(buf, 0, length, offset);
        if (bytesRead !== length) throw new GgufError(path, `truncated: wanted bytes ${offset}..${offset + length}, got ${bytesRead}`);
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}
