/**
 * Where GGUF bytes come from: a browser File/Blob, a URL read with HTTP Range requests, or (Node) a file
 * path (node_source.ts). Every reader fetches only the byte ranges asked for, so a large file is never
 * held whole in JS memory. The header is parsed by @huggingface/gguf through a fetch shim over the source.
 */
import { gguf } from '@huggingface/gguf';
import { GgufError } from './errors.ts';
import { TYPE_LAYOUT, type GgmlType, tensorBytes } from './ggml.ts';
import type { MetaEntry } from './writer.ts';

export interface ByteSource {
  name: string; // shown in errors: a path, URL or file name
  size: number; // bytes
  /** Bytes [offset, offset + length); throws GgufError when the source ends early. */
  read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>>;
}

export interface TensorInfo {
  name: string;
  dims: number[]; // ggml order: dims[0] is the row length
  type: GgmlType;
  offset: number; // absolute byte offset in the source
  bytes: number; // 0 when the type is one tabserve does not know (loading such a tensor is an error)
}

export interface GgufHeader {
  source: ByteSource;
  metadata: Record<string, MetaEntry>;
  tensors: Map<string, TensorInfo>;
}

export function blobSource(blob: Blob, name = typeof File !== 'undefined' && blob instanceof File ? blob.name : 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (bytes.length !== length) throw new GgufError(name, `truncated: wanted bytes ${offset}..${offset + length}, the file has ${blob.size}`);
      return bytes;
    },
  };
}

/** A URL whose server answers Range requests (206). Its size comes from the first response's Content-Range. */
export async function urlSource(url: string, fetchFn: typeof fetch = fetch): Promise<ByteSource> {
  const get = async (offset: number, length: number): Promise<Response> => {
    let res: Response;
    try {
      res = await fetchFn(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    } catch (e) {
      throw new GgufError(url, `cannot fetch (${(e as Error).message})`);
    }
    if (res.status === 200) {
      await res.body?.cancel();
      throw new GgufError(url, 'the server ignores HTTP Range requests (answered 200, not 206); tabserve reads models in ranges');
    }
    if (res.status !== 206) throw new GgufError(url, `HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  const first = await get(0, 1);
  await first.arrayBuffer();
  const size = Number(first.headers.get('content-range')?.match(/\/\s*(\d+)\s*$/)?.[1]);
  if (!Number.isSafeInteger(size)) throw new GgufError(url, 'the server gave no file size (Content-Range: bytes a-b/SIZE)');
  return {
    name: url,
    size,
    async read(offset, length) {
      if (offset + length > size) throw new GgufError(url, `truncated: wanted bytes ${offset}..${offset + length}, the file has ${size}`);
      const bytes = new Uint8Array(await (await get(offset, length)).arrayBuffer());
      if (bytes.length !== length) throw new GgufError(url, `short read: ${bytes.length} of ${length} bytes at ${offset}`);
      return bytes;
    },
  };
}

/** Answers @huggingface/gguf's Range requests from a ByteSource. */
function fetchShim(source: ByteSource): typeof fetch {
  return (async (_input: RequestInfo | URL, init?: RequestInit) => {
    const range = new Headers(init?.headers).get('range')?.match(/bytes=(\d+)-(\d+)/);
    if (!range) throw new Error('expected a Range request');
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), source.size - 1);
    const body = start <= end ? await source.read(start, end - start + 1) : new Uint8Array(0);
    return new Response(body, { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${source.size}` } });
  }) as typeof fetch;
}

/**
 * @huggingface/gguf decodes each string with `new TextDecoder()`, which drops a leading U+FEFF: tokens such
 * as "\uFEFF//" (Gemma) would collide with "//". While it parses, `new TextDecoder()` without options keeps
 * the BOM (explicit options are left as given).
 */
const KeepBomDecoder = class extends TextDecoder {
  constructor(label?: string, options?: TextDecoderOptions) {
    super(label, options ?? { ignoreBOM: true });
  }
};

async function withBomKept<T>(fn: () => Promise<T>): Promise<T> {
  const original = globalThis.TextDecoder;
  globalThis.TextDecoder = KeepBomDecoder;
  try {
    return await fn();
  } finally {
    globalThis.TextDecoder = original;
  }
}

/** Parses the header (metadata and tensor infos) and checks every tensor lies inside the source. */
export async function parseGguf(source: ByteSource): Promise<GgufHeader> {
  let parsed;
  try {
    parsed = await withBomKept(() => gguf('https://tabserve.invalid/model.gguf', { fetch: fetchShim(source), typedMetadata: true }));
  } catch (e) {
    if (e instanceof GgufError) throw e;
    throw new GgufError(source.name, `not a readable GGUF file (${(e as Error).message})`);
  }
  const metadata: Record<string, MetaEntry> = {};
  for (const [k, v] of Object.entries(parsed.typedMetadata)) {
    if (k === 'version' || k === 'tensor_count' || k === 'kv_count') continue;
    metadata[k] = v as MetaEntry;
  }
  const dataOffset = Number(parsed.tensorDataOffset);
  const tensors = new Map<string, TensorInfo>();
  for (const t of parsed.tensorInfos) {
    const dims = t.shape.map(Number);
    const type = t.dtype as number as GgmlType;
    const elems = dims.reduce((a, b) => a * b, 1);
    let bytes = 0;
    if (TYPE_LAYOUT[type]) {
      try {
        bytes = tensorBytes(type, elems);
      } catch (e) {
        throw new GgufError(source.name, (e as Error).message, t.name);
      }
    }
    const offset = dataOffset + Number(t.offset);
    if (offset + bytes > source.size) {
      throw new GgufError(source.name, `truncated: its data ends at byte ${offset + bytes}, the file has ${source.size}`, t.name);
    }
    tensors.set(t.name, { name: t.name, dims, type, offset, bytes });
  }
  return { source, metadata, tensors };
}
