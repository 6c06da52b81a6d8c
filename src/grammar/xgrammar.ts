/**
 * Loads xgrammar (npm `@mlc-ai/web-xgrammar`: the C++ grammar engine compiled to wasm, the wasm inlined in its
 * JS, so nothing is fetched and it works offline). Its bundle is UMD: in a browser (Vite turns it into a
 * module) the import is used as is; Node's ESM loader cannot run it (`type: module` with CommonJS code), so in
 * Node it is evaluated as CommonJS (xgrammar_node.ts). Loaded once, on the first constrained request.
 */
export type Xgrammar = typeof import('@mlc-ai/web-xgrammar');

let loading: Promise<Xgrammar> | undefined;

const inNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof window === 'undefined' && !('importScripts' in globalThis);

/** The module's classes, wherever the bundle put them (named exports, `default`, or the UMD global). */
function classes(m: unknown): Xgrammar {
  const candidates = [m, (m as { default?: unknown }).default, (globalThis as { xgrammar?: unknown }).xgrammar];
  const found = candidates.find((c): c is Xgrammar => typeof (c as Partial<Xgrammar> | undefined)?.GrammarCompiler === 'function');
  if (!found) throw new Error('@mlc-ai/web-xgrammar loaded without its GrammarCompiler export');
  return found;
}

export function xgrammar(): Promise<Xgrammar> {
  loading ??= (inNode() ? import('./xgrammar_node.ts').then((m) => m.loadXgrammarInNode()) : import('@mlc-ai/web-xgrammar')).then(classes);
  loading.catch(() => (loading = undefined)); // a failed load may be retried
  return loading;
}
