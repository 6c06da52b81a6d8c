/**
 * Server-Sent Events as the OpenAI SDKs read them: every event is one `data: <json>` line and a blank
 * line; the stream ends with `data: [DONE]` (matched exactly). An error after the stream started is an
 * event whose data is `{"error": {...}}`, which the SDK raises as an APIError; the stream ends after it.
 * JSON.stringify never emits a raw newline (it escapes them), so one event is always one data line.
 */
import type { ApiError } from './errors.ts';

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no', // a reverse proxy in front of `tabserve serve` must not hold chunks back
};

export const sseEvent = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

export const SSE_DONE = 'data: [DONE]\n\n';

export const sseError = (e: ApiError): string => sseEvent({ error: e.toObject() });

/** A comment line: ignored by SSE parsers, useful to keep an idle connection open. */
export const sseComment = (text: string): string => `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
