/**
 * <capability-page>: what this browser lacks to run tabserve, and what would work instead (src/app/capability.ts).
 * Shown in place of the app when a blocking problem is found; warnings are shown by the app above the chat.
 */
import { LitElement, css, html } from 'lit';
import type { Problem } from '../app/capability.ts';

export class CapabilityPage extends LitElement {
  static override properties = { problems: { attribute: false } };
  static override styles = css`
    :host { display: block; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
    h2 { font-size: 1.3rem; margin: 0 0 1rem; }
    li { margin: 0 0 1rem; }
    .what { font-weight: 600; }
    .fix { color: #3b4754; }
  `;

  problems: Problem[] = [];

  override render() {
    return html`
      <h2>tabserve cannot run a model in this browser</h2>
      <ul>
        ${this.problems.map((p) => html`<li data-testid="problem" data-code=${p.code}><div class="what">${p.what}</div><div class="fix">${p.fix}</div></li>`)}
      </ul>
      <p>Nothing was downloaded. Your conversations, if any, stay stored in this browser.</p>
    `;
  }
}

customElements.define('capability-page', CapabilityPage);

declare global {
  interface HTMLElementTagNameMap {
    'capability-page': CapabilityPage;
  }
}
