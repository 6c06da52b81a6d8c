/**
 * <tabserve-app>: the chat app's shell. For now it starts the inference Worker, shows the WebGPU adapter
 * it found (or why there is none) and the built-in test model served with the app.
 */
import { LitElement, css, html } from 'lit';
import type { GpuInfo } from '../gpu/device.ts';
import type { FromWorker, ToWorker } from '../../workers/messages.ts';

export const BUILTIN_MODEL_URL = '/models/tabserve-test.gguf';

type GpuState = { state: 'probing' } | { state: 'ready'; info: GpuInfo } | { state: 'failed'; message: string };

export class TabserveApp extends LitElement {
  static override properties = { gpu: { state: true }, modelBytes: { state: true } };
  static override styles = css`
    :host { display: block; font: 15px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #1d2733; }
    h1 { font-size: 1.6rem; margin: 0 0 0.25rem; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
    dt { color: #5b6775; }
    .failed { color: #a32020; }
  `;

  gpu: GpuState = { state: 'probing' };
  modelBytes: number | null | undefined = undefined; // undefined: checking, null: not found
  private worker?: Worker;

  override connectedCallback(): void {
    super.connectedCallback();
    this.worker = new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onWorkerMessage(e.data);
    this.worker.onerror = (e) => (this.gpu = { state: 'failed', message: `the inference worker failed: ${e.message}` });
    this.worker.postMessage({ kind: 'probe' } satisfies ToWorker);
    void this.checkBuiltinModel();
  }

  override disconnectedCallback(): void {
    this.worker?.terminate();
    super.disconnectedCallback();
  }

  private onWorkerMessage(msg: FromWorker) {
    switch (msg.kind) {
      case 'gpu':
        this.gpu = { state: 'ready', info: msg.info };
        break;
      case 'error':
        this.gpu = { state: 'failed', message: msg.message };
        break;
    }
  }

  private async checkBuiltinModel() {
    const res = await fetch(BUILTIN_MODEL_URL, { method: 'HEAD' }).catch(() => null);
    const length = res?.ok ? Number(res.headers.get('content-length')) : NaN;
    this.modelBytes = Number.isFinite(length) && length > 0 ? length : null;
  }

  private renderGpu() {
    switch (this.gpu.state) {
      case 'probing':
        return html`looking for a WebGPU adapter…`;
      case 'failed':
        return html`<span class="failed">${this.gpu.message}</span>`;
      case 'ready': {
        const i = this.gpu.info;
        return html`<span data-testid="adapter">${i.vendor} ${i.architecture} ${i.description}</span>
          (shader-f16: ${i.f16 ? 'yes' : 'no'}, largest binding ${(i.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB)`;
      }
    }
  }

  override render() {
    const model = this.modelBytes === undefined ? 'checking…' : this.modelBytes === null ? 'not found (run npm start)' : `${BUILTIN_MODEL_URL} (${(this.modelBytes / 2 ** 20).toFixed(1)} MiB)`;
    return html`
      <h1>tabserve</h1>
      <p>An OpenAI-compatible LLM server inside this tab, running on your GPU with WebGPU.</p>
      <dl>
        <dt>GPU</dt>
        <dd data-state=${this.gpu.state} id="gpu">${this.renderGpu()}</dd>
        <dt>Built-in model</dt>
        <dd id="model">${model}</dd>
      </dl>
    `;
  }
}

customElements.define('tabserve-app', TabserveApp);

declare global {
  interface HTMLElementTagNameMap {
    'tabserve-app': TabserveApp;
  }
}
