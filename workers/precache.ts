/// <reference lib="webworker" />
/**
 * The app shell offline: Workbox precaches the files the build lists in `self.__WB_MANIFEST` (vite-plugin-pwa
 * injectManifest writes the list into sw.js) and answers them cache-first; a navigation to any app URL gets
 * the cached index.html. Nothing here touches /v1/*, /health or the model files (models live in OPFS).
 * In dev the list is absent (the dev server serves /sw.js untransformed by the plugin): nothing is precached.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST?: (string | PrecacheEntry)[] };

export function precacheShell(): void {
  const manifest = self.__WB_MANIFEST;
  if (!manifest) return;
  precacheAndRoute(manifest);
  cleanupOutdatedCaches();
  registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/v1\//, /^\/health$/, /^\/e2e\//, /^\/models\//] }));
}
