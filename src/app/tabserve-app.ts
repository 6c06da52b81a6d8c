/**
 * <tabserve-app>: the chat app. On start it checks what the browser can do (a clear page when something is
 * missing), then serves the chosen model (the built-in test model on a first visit) from the model library's
 * storage with startTabserve, and hands <chat-page> an `openai` client pointed at this origin's /v1: the app
 * talks to the model only through the in-tab OpenAI API, like any other page would.
 *
 * Model states: 'installing' (the built-in model is copied into storage on a first visit: it is served by
 * the app itself, so this works offline after one visit), 'loading' (weights to the GPU), 'ready', 'failed'.
 * The chosen model id is kept in IndexedDB; when it is gone (deleted), the built-in model is used.
 */
import { get, set, createStore } from 'idb-keyval';
import { LitElement, css, html, nothing } from 'lit';
import OpenAI from 'openai';
import type { LoadProgress } from '../engine/engine.ts';
import { BUILTIN_MODEL } from '../library/catalog.ts';
import { startDownload } from '../library/download.ts';
import { getModel, modelFile } from '../library/store.ts';
import type { DownloadProgress } from '../library/progress.ts';
import { startTabserve, type Tabserve } from '../page/start.ts';
import { capabilityProblems, probeCapabilities, type Problem } from './capability.ts';
import '../ui/capability-page.ts';
import '../ui/chat-page.ts';
import '../ui/download-progress.ts';
import '../ui/model-library.ts';

type ModelState =
  | { kind: 'none' }
  | { kind: 'installing'; id: string; progress: DownloadProgress | null }
  | { kind: 'loading'; id: string; fraction: number }
  | { kind: 'ready'; id: string }
  | { kind: 'failed'; id: string; message: string };

const appStore = createStore('tabserve-app', 'state');
const CHOSEN_KEY = 'model';

export class TabserveApp extends LitElement {
  static override properties = {
    checking: { state: true },
    blocking: { state: true },
    warnings: { state: true },
    model: { state: true },
    libraryOpen: { state: true },
    client: { state: true },
  };
  static override styles = css`
    :host { display: flex; flex-direction: column; height: 100vh; font: 15px/1.5 system-ui, sans-serif; color: #1d2733; background: #f6f7f9; }
    header { display: flex; align-items: center; gap: 1rem; padding: 0.5rem 1rem; background: #1f3a5f; color: #fff; }
    header h1 { font-size: 1.1rem; margin: 0; }
    .status { flex: 1; font-size: 0.9rem; opacity: 0.95; }
    .status[data-state='failed'] { color: #ffd2d2; }
    header button { font: inherit; border: 1px solid #ffffff80; background: transparent; color: #fff; border-radius: 6px; padding: 0.2rem 0.7rem; cursor: pointer; }
    .warning { background: #fff4d6; padding: 0.4rem 1rem; font-size: 0.9rem; }
    main { flex: 1; display: flex; min-height: 0; }
    chat-page { flex: 1; min-width: 0; }
    aside { width: min(28rem, 100%); overflow: auto; border-left: 1px solid #d5dbe3; background: #fff; padding: 0.5rem 1rem; }
    .install { padding: 0.5rem 1rem; background: #fff; border-bottom: 1px solid #d5dbe3; }
  `;

  checking = true;
  blocking: Problem[] = [];
  warnings: Problem[] = [];
  model: ModelState = { kind: 'none' };
  libraryOpen = false;
  client: OpenAI | null = null;
  private serving: Tabserve | null = null;
  private generation = 0; // bumped by every switch: a slower earlier start must not win

  override connectedCallback(): void {
    super.connectedCallback();
    void this.start();
  }

  override disconnectedCallback(): void {
    this.serving?.stop();
    super.disconnectedCallback();
  }

  private async start() {
    const { blocking, warnings } = capabilityProblems(await probeCapabilities());
    this.blocking = blocking;
    this.warnings = warnings;
    this.checking = false;
    if (blocking.length > 0) return;
    const chosen = (await get<string>(CHOSEN_KEY, appStore).catch(() => undefined)) ?? BUILTIN_MODEL.id;
    const stored = await getModel(chosen).catch(() => undefined);
    await this.use(stored?.complete ? chosen : BUILTIN_MODEL.id);
  }

  /** Serves model `id` (stopping the one served now); the built-in model is installed first when missing. */
  private async use(id: string) {
    const gen = ++this.generation;
    this.serving?.stop();
    this.serving = null;
    this.client = null;
    try {
      if (id === BUILTIN_MODEL.id && !(await getModel(id).catch(() => undefined))?.complete) {
        this.model = { kind: 'installing', id, progress: null };
        await startDownload(BUILTIN_MODEL, { onProgress: (progress) => gen === this.generation && (this.model = { kind: 'installing', id, progress }) }).done;
      }
      if (gen !== this.generation) return;
      const file = await modelFile(id);
      this.model = { kind: 'loading', id, fraction: 0 };
      const onProgress = (p: LoadProgress) => {
        if (gen === this.generation) this.model = { kind: 'loading', id, fraction: p.totalBytes > 0 ? p.loadedBytes / p.totalBytes : 0 };
      };
      const serving = await startTabserve({ model: file, id, onProgress });
      if (gen !== this.generation) return serving.stop();
      this.serving = serving;
      await set(CHOSEN_KEY, id, appStore).catch(() => undefined);
      // no retries: a failure is shown at once, in words, on the message it belongs to
      this.client = new OpenAI({ baseURL: `${location.origin}/v1`, apiKey: 'tabserve', dangerouslyAllowBrowser: true, maxRetries: 0 });
      this.model = { kind: 'ready', id };
    } catch (e) {
      if (gen === this.generation) this.model = { kind: 'failed', id, message: e instanceof Error ? e.message.replace(/^tabserve: /, '') : String(e) };
    }
  }

  private renderStatus() {
    const m = this.model;
    switch (m.kind) {
      case 'none':
        return 'starting…';
      case 'installing':
        return `installing ${m.id}…`;
      case 'loading':
        return `loading ${m.id} to the GPU… ${Math.floor(m.fraction * 100)}%`;
      case 'ready':
        return html`model: <b>${m.id}</b>${m.id === BUILTIN_MODEL.id ? ' (test model: random weights, its output is random text)' : ''}`;
      case 'failed':
        return html`${m.id} could not be loaded: ${m.message}. Choose another model in Models.`;
    }
  }

  override render() {
    if (this.checking) return html`<header><h1>tabserve</h1><span class="status">checking this browser…</span></header>`;
    if (this.blocking.length > 0) {
      return html`<header><h1>tabserve</h1></header><capability-page .problems=${this.blocking}></capability-page>`;
    }
    const m = this.model;
    const readyId = m.kind === 'ready' ? m.id : null;
    return html`
      <header>
        <h1>tabserve</h1>
        <span class="status" data-testid="model-status" data-state=${m.kind}>${this.renderStatus()}</span>
        <button data-testid="models" @click=${() => (this.libraryOpen = !this.libraryOpen)}>${this.libraryOpen ? 'Close models' : 'Models'}</button>
      </header>
      ${this.warnings.map((w) => html`<div class="warning" data-testid="warning">${w.what} ${w.fix}</div>`)}
      ${m.kind === 'installing' && m.progress ? html`<div class="install"><download-progress .progress=${m.progress}></download-progress></div>` : nothing}
      <main>
        <chat-page .client=${this.client} .model=${readyId} .modelLabel=${readyId ?? ''}></chat-page>
        ${this.libraryOpen
          ? html`<aside><model-library .activeId=${readyId} @use-model=${(e: CustomEvent<{ id: string }>) => void this.use(e.detail.id)}></model-library></aside>`
          : nothing}
      </main>
    `;
  }
}

customElements.define('tabserve-app', TabserveApp);

declare global {
  interface HTMLElementTagNameMap {
    'tabserve-app': TabserveApp;
  }
}
