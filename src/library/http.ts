/**
 * How a download asks for the rest of a file and what it makes of the answer. Pure (Node-testable).
 *
 * A resumed download sends only `Range: bytes=N-`. It does not send If-Range: that header is not
 * CORS-safelisted, so every cross-origin resume would need a preflight that file hosts (and the CDNs they
 * redirect to) may not answer. The same check is made here instead, on the 206 answer: its ETag,
 * Last-Modified and total size must match what the first response said, or the download starts over.
 */

/** What a response says, read from its status and headers. */
export interface ResponseFacts {
  status: number;
  statusText?: string;
  contentLength: number | null;
  contentRange: string | null;
  etag: string | null;
  lastModified: string | null;
}

/** What the first response said about the file, kept with the partial download. */
export interface Validator {
  etag?: string;
  lastModified?: string;
  totalBytes?: number; // 0 or absent: unknown
}

export type ResponsePlan =
  | { kind: 'write'; offset: number; totalBytes: number | null } // write the body from `offset`
  | { kind: 'refetch'; why: string } // the file changed (or the range is off): ask again from byte 0
  | { kind: 'complete'; totalBytes: number } // 416: every byte is already here
  | { kind: 'error'; message: string };

export function rangeHeaders(offset: number): Record<string, string> {
  return offset > 0 ? { Range: `bytes=${offset}-` } : {};
}

export interface ContentRange {
  start: number | null; // null in a 416's "bytes */TOTAL"
  end: number | null;
  total: number | null; // null for "bytes A-B/*"
}

// "bytes 100-199/1000", "bytes 100-199/*" (total unknown) or "bytes */1000" (a 416); null for anything else
export function parseContentRange(value: string | null): ContentRange | null {
  const m = value?.trim().match(/^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i);
  if (!m) return null;
  const num = (s: string | undefined) => (s === undefined || s === '*' ? null : Number(s));
  const range = { start: num(m[1]), end: num(m[2]), total: num(m[3]) };
  if (range.start !== null && range.end !== null && range.end < range.start) return null;
  return range;
}

export function parseContentLength(value: string | null): number | null {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function httpMessage(status: number, statusText: string | undefined): string {
  const what = `the server answered HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  if (status === 401 || status === 403) return `${what}: the file needs a login or is not public (a gated model?)`;
  if (status === 404 || status === 410) return `${what}: no file at this URL; check the link`;
  if (status >= 500) return `${what}: the server failed; try again later`;
  return what;
}

/** `asked`: the offset requested (0: no Range header). `stored`: what the first response said. */
export function planResponse(asked: number, res: ResponseFacts, stored: Validator = {}): ResponsePlan {
  if (res.status === 200) {
    // the whole file: the server ignores Range, or (with an offset) the file changed; either way from 0
    return { kind: 'write', offset: 0, totalBytes: res.contentLength };
  }
  if (res.status === 206) {
    const range = parseContentRange(res.contentRange);
    if (!range || range.start === null) return { kind: 'error', message: 'the server answered 206 (partial content) without a readable Content-Range header' };
    if (range.start !== asked) return { kind: 'refetch', why: `asked for bytes from ${asked}, the server sent them from ${range.start}` };
    if (stored.etag && res.etag && stored.etag !== res.etag) return { kind: 'refetch', why: 'the file on the server changed (another ETag)' };
    if (stored.lastModified && res.lastModified && stored.lastModified !== res.lastModified) return { kind: 'refetch', why: 'the file on the server changed (another Last-Modified)' };
    if (stored.totalBytes && range.total !== null && range.total !== stored.totalBytes) return { kind: 'refetch', why: 'the file on the server changed (another size)' };
    const total = range.total ?? (res.contentLength !== null ? asked + res.contentLength : null);
    return { kind: 'write', offset: asked, totalBytes: total };
  }
  if (res.status === 416) {
    const total = parseContentRange(res.contentRange)?.total ?? null;
    if (asked > 0 && total === asked && (!stored.totalBytes || stored.totalBytes === total)) return { kind: 'complete', totalBytes: total };
    return { kind: 'refetch', why: 'the server cannot serve the rest of the file (416): it changed' };
  }
  return { kind: 'error', message: httpMessage(res.status, res.statusText) };
}
