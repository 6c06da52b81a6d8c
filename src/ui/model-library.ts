/**
 * <model-library>: the models this browser has, and where more come from. It lists the built-in test
 * model and the catalog (entries tabserve cannot run are shown disabled, with the reason), the stored
 * models (size, complete or partial, progress while downloading, delete), a form to add a GGUF by URL and
 * a file input to open one from disk, and how much of the site's storage is used. On connect it resumes
 * unfinished downloads, so a reload mid-download carries on.
 *
 * @fires use-model - CustomEvent<{ id: string }>: the user picked a complete model (the built-in one, or a
 *   stored one: load it with modelFile(id)).
 */
import { LitElement, css, html, nothing } from 'lit';
import { BUILTIN_MODEL, CATALOG, catalogEntryForUrl, type CatalogEntry } from '../library/catalog.ts';
import { isQuietFailure, persistenceState, resumeDownloads, startDownload, cancelDownload, watchDownloads, runningDownloads, downloadProgress, type DownloadEvent } from '../library/download.ts';
import { formatBytes, percentOf } from '../library/format.ts';
import { idFromUrl, normalizeModelUrl, uniqueId } from '../library/ids.ts';
import type { DownloadProgress } from '../library/progress.ts';
import { deleteModel, importFile, listModels, storageNumbers, type StorageNumbers, type StoredModel } from '../library/store.ts';
import { quantFromFileName, quantProblem } from '../library/support.ts';
import './download-progress.ts';

export interface UseModelDetail {
  id: string;
}

const STORAGE_REFRESH_MS = 1000;

export class ModelLibrary extends LitElement {
  static override properties = {
    activeId: { attribute: 'active-id' },
    models: { state: true },
    progress: { state: true },
    importing: { state: true },
    error: { state: true },
    storage: { state: true },
  };
  static override styles = css`
    :host { display: block; font: 15px/1.5 system-ui, sans-serif; color: #1d2733; }
    h2 { font-size: 1.05rem; margin: 1.25rem 0 0.4rem; }
    ul { list-style: none; margin: 0; padding: 0; }
    li { display: grid; grid-template-columns: 1fr auto; gap: 0.2rem 0.75rem; padding: 0.45rem 0; border-bottom: 1px solid #e3e7ec; }
    li.active { background: #eef6ee; }
    .name { font-weight: 600; }
    .meta, .why, .storage { color: #5b6775; font-size: 0.85rem; }
    .why { color: #8a5a00; }
    .actions { display: flex; gap: 0.4rem; align-items: start; }
    download-progress { grid-column: 1 / -1; }
    .error { color: #a32020; background: #fdf0f0; padding: 0.5rem 0.75rem; border-radius: 4px; }
    form, .open { display: flex; gap: 0.5rem; margin-top: 0.5rem; align-items: center; }
    input[type='url'] { flex: 1; }
  `;

  /** The model the app is running (its Use and Delete buttons are disabled). */
  activeId: string | null = null;
  models: StoredModel[] = [];
  progress: ReadonlyMap<string, DownloadProgress | null> = new Map(); // running downloads (null: no bytes yet)
  importing: DownloadProgress | null = null;
  error: string | null = null;
  storage: StorageNumbers | null = null;
  private unwatch?: () => void;
  private lastStorageRefresh = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unwatch = watchDownloads((e) => this.onDownloadEvent(e));
    this.progress = new Map(runningDownloads().map((id) => [id, downloadProgress(id)]));
    void this.refresh();
    void resumeDownloads().then(
      (started) => {
        if (started.length) void this.refresh();
      },
      (e: unknown) => this.fail(e),
    );
  }

  override disconnectedCallback(): void {
    this.unwatch?.();
    super.disconnectedCallback();
  }

  private async refresh() {
    try {
      [this.models, this.storage] = await Promise.all([listModels(), storageNumbers()]);
      this.lastStorageRefresh = performance.now();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown) {
    this.error = e instanceof Error ? e.message : String(e);
  }

  private onDownloadEvent(e: DownloadEvent) {
    const next = new Map(this.progress);
    if (e.kind === 'progress') {
      const known = this.models.some((m) => m.id === e.id);
      next.set(e.id, e.progress);
      this.progress = next;
      // the record appears with the first response; storage use grows as it downloads
      if (!known || performance.now() - this.lastStorageRefresh > STORAGE_REFRESH_MS) void this.refresh();
      return;
    }
    next.delete(e.id);
    this.progress = next;
    if (e.error && !isQuietFailure(e.error)) this.fail(e.error);
    void this.refresh();
  }

  private use(id: string) {
    this.dispatchEvent(new CustomEvent<UseModelDetail>('use-model', { detail: { id }, bubbles: true, composed: true }));
  }

  private download(entry: { id: string; name: string; url: string; bytes?: number }) {
    this.error = null;
    this.progress = new Map(this.progress).set(entry.id, this.progress.get(entry.id) ?? null);
    startDownload(entry);
  }

  private async deleteStored(id: string) {
    this.error = null;
    try {
      await deleteModel(id);
    } catch (e) {
      this.fail(e);
    }
    await this.refresh();
  }

  private addByUrl(e: SubmitEvent) {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('[data-testid="add-url"]');
    if (!input?.value.trim()) return;
    this.error = null;
    let url: string;
    try {
      url = normalizeModelUrl(input.value, location.href);
    } catch (err) {
      return this.fail(err);
    }
    const fileName = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    const quant = quantFromFileName(fileName);
    const problem = quant && quantProblem(quant);
    if (problem) return this.fail(`${fileName} cannot run in tabserve: ${problem}. Pick a file of another quant (for example Q8_0).`);
    const catalog = catalogEntryForUrl(url);
    const stored = this.models.find((m) => m.url === url);
    const taken = new Set([BUILTIN_MODEL.id, ...CATALOG.map((c) => c.id), ...this.models.map((m) => m.id)]);
    const id = catalog?.id ?? stored?.id ?? uniqueId(idFromUrl(url), taken);
    this.download({ id, name: catalog?.name ?? stored?.name ?? fileName, url, bytes: catalog?.bytes });
    input.value = '';
  }

  private async openFile(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    this.error = null;
    this.importing = { loadedBytes: 0, totalBytes: file.size, bytesPerSecond: 0, secondsLeft: null };
    try {
      await importFile(file, (p) => (this.importing = p));
    } catch (err) {
      this.fail(err);
    } finally {
      this.importing = null;
      await this.refresh();
    }
  }

  private renderStorage() {
    const s = this.storage;
    if (!s) return nothing;
    const free = Math.max(0, s.quotaBytes - s.usageBytes);
    const refused = persistenceState() === 'refused';
    return html`<p class="storage" data-testid="storage" data-usage=${s.usageBytes} data-quota=${s.quotaBytes}>
      Storage: ${formatBytes(s.usageBytes)} used of ${formatBytes(s.quotaBytes)} this site may use (${formatBytes(free)} free).
      ${refused ? 'The browser did not grant persistent storage: it may delete models when the disk runs low.' : nothing}
    </p>`;
  }

  private renderStored(m: StoredModel) {
    const running = this.progress.has(m.id);
    const active = this.activeId === m.id;
    const usable = m.complete && !m.problem;
    let meta;
    if (m.complete) meta = [formatBytes(m.totalBytes), m.arch, m.quant].filter(Boolean).join(' · ');
    else if (running) meta = 'downloading';
    else if (m.url === null) meta = 'incomplete copy: delete it and open the file again';
    else meta = `paused at ${formatBytes(m.downloadedBytes)}${m.totalBytes ? ` of ${formatBytes(m.totalBytes)} (${percentOf(m.downloadedBytes, m.totalBytes)}%)` : ''}`;
    return html`<li data-id=${m.id} data-state=${m.complete ? 'complete' : 'partial'} class=${active ? 'active' : ''}>
      <div>
        <div class="name">${m.name}${active ? ' (in use)' : ''}</div>
        <div class="meta">${meta}${m.url ? nothing : ' · opened from disk'}</div>
        ${m.problem ? html`<div class="why">cannot run: ${m.problem}</div>` : nothing}
      </div>
      <div class="actions">
        ${usable ? html`<button data-testid="use-${m.id}" ?disabled=${active} @click=${() => this.use(m.id)}>Use</button>` : nothing}
        ${running ? html`<button data-testid="cancel-${m.id}" @click=${() => cancelDownload(m.id)}>Pause</button>` : nothing}
        ${!m.complete && !running && m.url ? html`<button data-testid="resume-${m.id}" @click=${() => this.download({ id: m.id, name: m.name, url: m.url ?? '' })}>Resume</button>` : nothing}
        <button data-testid="delete-${m.id}" ?disabled=${active} @click=${() => this.deleteStored(m.id)}>Delete</button>
      </div>
      ${running ? html`<download-progress data-id=${m.id} .progress=${this.progress.get(m.id) ?? null}></download-progress>` : nothing}
    </li>`;
  }

  private renderCatalog(e: CatalogEntry) {
    return html`<li data-id=${e.id} data-supported=${e.supported}>
      <div>
        <div class="name">${e.name}</div>
        <div class="meta">~${formatBytes(e.bytes)} · ${e.arch} · ${e.quant}</div>
        ${e.why ? html`<div class="why">${e.why}</div>` : nothing}
      </div>
      <div class="actions">
        <button data-testid="download-${e.id}" ?disabled=${!e.supported} title=${e.why ?? 'download into this browser'} @click=${() => this.download(e)}>Download</button>
      </div>
    </li>`;
  }

  override render() {
    const storedIds = new Set(this.models.map((m) => m.id));
    // started but without a record yet (waiting for the server's first answer)
    const pending = [...this.progress.keys()].filter((id) => !storedIds.has(id));
    const builtinActive = this.activeId === BUILTIN_MODEL.id;
    return html`
      ${this.renderStorage()}
      ${this.error ? html`<p class="error" role="alert" data-testid="library-error">${this.error}</p>` : nothing}
      <h2>Add a model</h2>
      <form @submit=${this.addByUrl}>
        <input type="url" data-testid="add-url" placeholder="https://huggingface.co/.../resolve/main/model-Q8_0.gguf" aria-label="GGUF file URL" required />
        <button type="submit" data-testid="add-url-submit">Add by URL</button>
      </form>
      <label class="open">
        Open .gguf file
        <input type="file" accept=".gguf" data-testid="open-file" @change=${this.openFile} ?disabled=${this.importing !== null} />
      </label>
      ${this.importing ? html`<download-progress data-id="import" .progress=${this.importing}></download-progress>` : nothing}
      <h2>Your models</h2>
      <ul data-testid="stored-models">
        <li data-id=${BUILTIN_MODEL.id} class=${builtinActive ? 'active' : ''}>
          <div>
            <div class="name">${BUILTIN_MODEL.name}${builtinActive ? ' (in use)' : ''}</div>
            <div class="meta">${formatBytes(BUILTIN_MODEL.bytes)} · served with the app${storedIds.has(BUILTIN_MODEL.id) ? ', stored in this browser' : ''}</div>
          </div>
          <div class="actions"><button data-testid="use-${BUILTIN_MODEL.id}" ?disabled=${builtinActive} @click=${() => this.use(BUILTIN_MODEL.id)}>Use</button></div>
        </li>
        ${this.models.filter((m) => m.id !== BUILTIN_MODEL.id).map((m) => this.renderStored(m))}
        ${pending.map(
          (id) => html`<li data-id=${id} data-state="starting">
            <div><div class="name">${id}</div><div class="meta">contacting the server…</div></div>
            <div class="actions"><button data-testid="cancel-${id}" @click=${() => cancelDownload(id)}>Cancel</button></div>
            <download-progress data-id=${id} .progress=${this.progress.get(id) ?? null}></download-progress>
          </li>`,
        )}
      </ul>
      <h2>Download a model</h2>
      <ul data-testid="catalog">
        ${CATALOG.filter((e) => !storedIds.has(e.id) && !this.progress.has(e.id)).map((e) => this.renderCatalog(e))}
      </ul>
    `;
  }
}

customElements.define('model-library', ModelLibrary);

declare global {
  interface HTMLElementTagNameMap {
    'model-library': ModelLibrary;
  }
  interface HTMLElementEventMap {
    'use-model': CustomEvent<UseModelDetail>;
  }
}
