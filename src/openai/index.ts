/** The OpenAI-compatible API: one fetch-style handler for the Service Worker and the Node server. */
export { handle, type HostView } from './handler.ts';
export { ApiError, toApiError, type ErrorObject } from './errors.ts';
export { ModelHost, type HostState } from './host.ts';
