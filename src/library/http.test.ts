import { expect, test } from 'vitest';
import { parseContentLength, parseContentRange, planResponse, rangeHeaders, type ResponseFacts } from './http.ts';

const facts = (f: Partial<ResponseFacts>): ResponseFacts => ({ status: 200, contentLength: null, contentRange: null, etag: null, lastModified: null, ...f });

test('rangeHeaders: an open-ended Range only when resuming (no If-Range: it would need a CORS preflight)', () => {
  expect(rangeHeaders(0)).toEqual({});
  expect(rangeHeaders(1234)).toEqual({ Range: 'bytes=1234-' });
});

test('parseContentRange: the three forms, and nonsense refused', () => {
  expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
  expect(parseContentRange('bytes 100-199/*')).toEqual({ start: 100, end: 199, total: null });
  expect(parseContentRange('bytes */1000')).toEqual({ start: null, end: null, total: 1000 });
  expect(parseContentRange('BYTES 0-0/1')).toEqual({ start: 0, end: 0, total: 1 });
  expect(parseContentRange('bytes 200-100/1000')).toBeNull();
  expect(parseContentRange('items 0-1/2')).toBeNull();
  expect(parseContentRange(null)).toBeNull();
});

test('parseContentLength: digits only', () => {
  expect(parseContentLength('6410016')).toBe(6410016);
  expect(parseContentLength('1000000000000')).toBe(1e12);
  expect(parseContentLength('12, 12')).toBeNull();
  expect(parseContentLength(null)).toBeNull();
});

test('planResponse: 200 writes from 0 (a fresh download, or a server that ignored Range)', () => {
  expect(planResponse(0, facts({ status: 200, contentLength: 500 }))).toEqual({ kind: 'write', offset: 0, totalBytes: 500 });
  expect(planResponse(300, facts({ status: 200, contentLength: 500 }))).toEqual({ kind: 'write', offset: 0, totalBytes: 500 });
  expect(planResponse(0, facts({ status: 200 }))).toEqual({ kind: 'write', offset: 0, totalBytes: null });
});

test('planResponse: 206 appends at the asked offset when the file is the same one', () => {
  const stored = { etag: '"a"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', totalBytes: 1000 };
  const res = facts({ status: 206, contentLength: 700, contentRange: 'bytes 300-999/1000', etag: '"a"', lastModified: stored.lastModified });
  expect(planResponse(300, res, stored)).toEqual({ kind: 'write', offset: 300, totalBytes: 1000 });
  // no total in Content-Range: offset + Content-Length
  expect(planResponse(300, facts({ status: 206, contentLength: 700, contentRange: 'bytes 300-999/*' }))).toEqual({ kind: 'write', offset: 300, totalBytes: 1000 });
});

test('planResponse: a 206 for a changed file, or for other bytes than asked, asks again from 0', () => {
  const stored = { etag: '"a"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', totalBytes: 1000 };
  const ok = { status: 206, contentRange: 'bytes 300-999/1000', etag: '"a"' };
  expect(planResponse(300, facts({ ...ok, etag: '"b"' }), stored)).toMatchObject({ kind: 'refetch', why: expect.stringContaining('ETag') });
  expect(planResponse(300, facts({ ...ok, lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT' }), stored)).toMatchObject({ kind: 'refetch', why: expect.stringContaining('Last-Modified') });
  expect(planResponse(300, facts({ ...ok, contentRange: 'bytes 300-1999/2000' }), stored)).toMatchObject({ kind: 'refetch', why: expect.stringContaining('size') });
  expect(planResponse(300, facts({ ...ok, contentRange: 'bytes 0-999/1000' }), stored)).toMatchObject({ kind: 'refetch', why: expect.stringContaining('from 0') });
  expect(planResponse(300, facts({ status: 206 }), stored)).toMatchObject({ kind: 'error' });
});

test('planResponse: 416 means complete only when every byte is already here', () => {
  expect(planResponse(1000, facts({ status: 416, contentRange: 'bytes */1000' }), { totalBytes: 1000 })).toEqual({ kind: 'complete', totalBytes: 1000 });
  expect(planResponse(1000, facts({ status: 416, contentRange: 'bytes */900' }), { totalBytes: 1000 })).toMatchObject({ kind: 'refetch' });
  expect(planResponse(1000, facts({ status: 416 }))).toMatchObject({ kind: 'refetch' });
});

test('planResponse: error statuses in plain words', () => {
  expect(planResponse(0, facts({ status: 404, statusText: 'Not Found' }))).toEqual({ kind: 'error', message: 'the server answered HTTP 404 Not Found: no file at this URL; check the link' });
  expect(planResponse(0, facts({ status: 401 }))).toMatchObject({ message: expect.stringContaining('gated') });
  expect(planResponse(0, facts({ status: 503 }))).toMatchObject({ message: expect.stringContaining('try again later') });
});
