/**
 * Model ids: what the library, the OPFS file (`<id>.gguf`), the OpenAI `model` field and data-testid use.
 * Lower case letters, digits, '.', '_' and '-', from the file name. Pure (Node-testable).
 */

const MAX_ID = 96;

/** "SmolLM2-135M-Instruct-Q8_0.gguf" → "smollm2-135m-instruct-q8_0". */
export function idFromFileName(fileName: string): string {
  const base = fileName.replace(/\.gguf$/i, '');
  const id = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, MAX_ID);
  return id || 'model';
}

/** The id for a model URL: its last path segment (query and fragment ignored). */
export function idFromUrl(url: string): string {
  let path: string;
  try {
    path = new URL(url, 'https://x.invalid/').pathname;
  } catch {
    path = url;
  }
  const last = path.split('/').filter(Boolean).pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // a stray % stays as it is
  }
  return idFromFileName(name);
}

/** `base`, or `base-2`, `base-3`, ... : the first not in `taken`. */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/**
 * The file URL for a link a person pastes: a Hugging Face page link (`.../blob/main/x.gguf`) becomes the
 * file itself (`.../resolve/main/x.gguf`). Throws with a plain message for what is not an http(s) URL.
 */
export function normalizeModelUrl(input: string, base?: string): string {
  let url: URL;
  try {
    url = new URL(input.trim(), base);
  } catch {
    throw new Error(`"${input}" is not a URL; paste a link to a .gguf file (https://...)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`"${input}" is not an http(s) link to a .gguf file`);
  if (url.hostname === 'huggingface.co' || url.hostname === 'hf.co') url.pathname = url.pathname.replace(/^(\/[^/]+\/[^/]+)\/blob\//, '$1/resolve/');
  return url.href;
}
