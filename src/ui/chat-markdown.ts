/**
 * <chat-markdown>: untrusted markdown (model output) rendered through renderMarkdown, which escapes raw
 * HTML and sanitizes the result. This is the one place the app uses unsafeHTML.
 */
import { LitElement, css, html } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { renderMarkdown } from './markdown.ts';

export class ChatMarkdown extends LitElement {
  static override properties = { text: {} };
  static override styles = css`
    :host { display: block; overflow-wrap: anywhere; }
    .md > :first-child { margin-top: 0; }
    .md > :last-child { margin-bottom: 0; }
    p, ul, ol, pre, blockquote, table { margin: 0 0 0.6em; }
    h1, h2, h3, h4, h5, h6 { margin: 0.8em 0 0.4em; line-height: 1.25; }
    h1 { font-size: 1.35em; }
    h2 { font-size: 1.2em; }
    h3, h4, h5, h6 { font-size: 1.05em; }
    ul, ol { padding-left: 1.4em; }
    code { font: 0.9em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef1f5; padding: 0.1em 0.3em; border-radius: 4px; }
    pre { background: #1e2530; color: #e6edf3; padding: 0.75em 1em; border-radius: 8px; overflow-x: auto; }
    pre code { background: none; padding: 0; color: inherit; }
    blockquote { border-left: 3px solid #c9d1db; padding-left: 0.8em; color: #4a5563; }
    table { border-collapse: collapse; display: block; overflow-x: auto; }
    th, td { border: 1px solid #d5dbe3; padding: 0.3em 0.6em; }
    a { color: #1f5fbf; }
    hr { border: none; border-top: 1px solid #d5dbe3; }
  `;

  /** Markdown source; may be a partial, still-streaming answer. */
  text = '';

  override render() {
    return html`<div class="md">${unsafeHTML(renderMarkdown(this.text))}</div>`;
  }
}

customElements.define('chat-markdown', ChatMarkdown);

declare global {
  interface HTMLElementTagNameMap {
    'chat-markdown': ChatMarkdown;
  }
}
