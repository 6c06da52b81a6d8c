/**
 * <download-progress>: one download's bar with bytes, percent, speed and time left.
 * `.progress` is a DownloadProgress (src/library/progress.ts); the bar carries data-percent (an integer,
 * 100 only when every byte is here) for tests and styles.
 */
import { LitElement, css, html, nothing } from 'lit';
import { formatBytes, formatDuration, percentOf } from '../library/format.ts';
import type { DownloadProgress } from '../library/progress.ts';

export class DownloadProgressElement extends LitElement {
  static override properties = { progress: { attribute: false } };
  static override styles = css`
    :host { display: block; font-size: 0.85rem; color: #3b4754; }
    progress { width: 100%; height: 0.6rem; }
    .numbers { display: flex; flex-wrap: wrap; gap: 0 1rem; font-variant-numeric: tabular-nums; }
  `;

  progress: DownloadProgress | null = null;

  override render() {
    const p = this.progress;
    if (!p) return html`<div data-testid="download-progress" data-percent="0">starting…</div>`;
    const percent = percentOf(p.loadedBytes, p.totalBytes);
    const size = p.totalBytes > 0 ? `${formatBytes(p.loadedBytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.loadedBytes);
    return html`
      <div data-testid="download-progress" data-percent=${percent} role="group" aria-label="download progress">
        <progress max="100" value=${p.totalBytes > 0 ? percent : nothing} aria-valuetext="${percent}%"></progress>
        <div class="numbers">
          <span class="bytes">${size}</span>
          ${p.totalBytes > 0 ? html`<span class="percent">${percent}%</span>` : null}
          <span class="speed">${p.bytesPerSecond > 0 ? `${formatBytes(Math.round(p.bytesPerSecond))}/s` : 'measuring speed…'}</span>
          ${p.secondsLeft !== null && p.bytesPerSecond > 0 ? html`<span class="eta">${formatDuration(p.secondsLeft)} left</span>` : null}
        </div>
      </div>
    `;
  }
}

customElements.define('download-progress', DownloadProgressElement);

declare global {
  interface HTMLElementTagNameMap {
    'download-progress': DownloadProgressElement;
  }
}
