/**
 * <chat-message>: one message of a conversation. A user's text is shown as typed (plain text, never
 * markdown); an assistant's through <chat-markdown>, with a typing indicator until its first text, then
 * its stats line, and its error in plain words when it failed.
 *
 * @fires edit - {text}: the user edited this (user) message and pressed Send
 * @fires regenerate - the user asked for this (last assistant) answer again
 */
import { LitElement, css, html, nothing } from 'lit';
import { formatStats, type ChatMessage } from '../app/conversations.ts';
import './chat-markdown.ts';

export type EditDetail = { text: string };

const FINISH_NOTES: Record<string, string> = { stopped: 'stopped', length: 'cut off at max tokens' };

export class ChatMessageElement extends LitElement {
  static override properties = {
    message: { attribute: false },
    streaming: { type: Boolean },
    last: { type: Boolean },
    disabled: { type: Boolean },
    editing: { state: true },
  };
  static override styles = css`
    :host { display: block; }
    .bubble { padding: 0.6rem 0.9rem; border-radius: 12px; }
    .user .bubble { background: #e7eef9; margin-left: 3rem; }
    .assistant .bubble { background: #fff; border: 1px solid #e1e6ec; margin-right: 1rem; }
    .who { font-size: 0.78rem; color: #5b6775; margin: 0 0 0.2rem 0.2rem; }
    .user .who { text-align: right; }
    .plain { white-space: pre-wrap; overflow-wrap: anywhere; }
    .error { color: #a32020; background: #fdeeee; border-radius: 8px; padding: 0.4rem 0.6rem; margin: 0.4rem 0 0; }
    .meta { display: flex; flex-wrap: wrap; gap: 0.6rem; align-items: center; font-size: 0.78rem; color: #5b6775; margin: 0.25rem 0.2rem 0; min-height: 1.6rem; }
    .user .meta { justify-content: flex-end; }
    button { font: inherit; font-size: 0.78rem; padding: 0.15rem 0.6rem; border: 1px solid #c9d1db; border-radius: 6px; background: #fff; color: #1d2733; cursor: pointer; }
    button:hover { background: #f1f4f8; }
    button.primary { background: #1f5fbf; border-color: #1f5fbf; color: #fff; }
    textarea { box-sizing: border-box; width: 100%; min-height: 4rem; font: inherit; padding: 0.4rem; border: 1px solid #c9d1db; border-radius: 6px; resize: vertical; }
    .edit-actions { display: flex; gap: 0.4rem; justify-content: flex-end; margin-top: 0.3rem; }
    .typing { display: inline-flex; gap: 4px; padding: 0.3rem 0; }
    .typing span { width: 7px; height: 7px; border-radius: 50%; background: #8a96a3; animation: blink 1.2s infinite ease-in-out; }
    .typing span:nth-child(2) { animation-delay: 0.2s; }
    .typing span:nth-child(3) { animation-delay: 0.4s; }
    @keyframes blink { 0%, 80%, 100% { opacity: 0.25; } 40% { opacity: 1; } }
  `;

  message: ChatMessage = { role: 'user', content: '' };
  /** This message is the answer being streamed now. */
  streaming = false;
  /** This is the conversation's last message (only the last answer can be regenerated). */
  last = false;
  /** Hide Edit and Regenerate (a turn is running). */
  disabled = false;
  private editing = false;

  private startEdit() {
    this.editing = true;
    void this.updateComplete.then(() => this.renderRoot.querySelector('textarea')?.focus());
  }

  private submitEdit() {
    const text = this.renderRoot.querySelector('textarea')?.value ?? '';
    if (text.trim() === '') return;
    this.editing = false;
    this.dispatchEvent(new CustomEvent<EditDetail>('edit', { detail: { text }, bubbles: true, composed: true }));
  }

  private onEditKey(e: KeyboardEvent) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.submitEdit();
    } else if (e.key === 'Escape') {
      this.editing = false;
    }
  }

  private regenerate() {
    this.dispatchEvent(new CustomEvent('regenerate', { bubbles: true, composed: true }));
  }

  private renderUser() {
    if (this.editing) {
      return html`<div class="bubble">
        <textarea aria-label="Edit message" data-testid="edit-input" .value=${this.message.content} @keydown=${this.onEditKey}></textarea>
        <div class="edit-actions">
          <button @click=${() => (this.editing = false)}>Cancel</button>
          <button class="primary" data-testid="edit-send" @click=${this.submitEdit}>Send</button>
        </div>
      </div>`;
    }
    const canEdit = !this.disabled;
    return html`<div class="bubble plain">${this.message.content}</div>
      <div class="meta">${canEdit ? html`<button data-testid="edit" @click=${this.startEdit}>Edit</button>` : nothing}</div>`;
  }

  private renderAssistant() {
    const m = this.message;
    const waiting = this.streaming && m.content === '' && !m.error;
    const note = m.finishReason ? FINISH_NOTES[m.finishReason] : undefined;
    const canRegenerate = this.last && !this.streaming && !this.disabled;
    return html`<div class="bubble" aria-busy=${this.streaming ? 'true' : 'false'}>
        ${waiting ? html`<div class="typing" data-testid="typing" aria-label="The model is answering"><span></span><span></span><span></span></div>` : nothing}
        ${m.content !== '' ? html`<chat-markdown .text=${m.content}></chat-markdown>` : nothing}
        ${m.error ? html`<p class="error" role="alert" data-testid="error">${m.error}</p>` : nothing}
      </div>
      <div class="meta">
        ${m.stats && m.stats.completionTokens > 0 && !this.streaming ? html`<span data-testid="stats">${formatStats(m.stats)}</span>` : nothing}
        ${note && !this.streaming ? html`<span data-testid="finish">${note}</span>` : nothing}
        ${canRegenerate ? html`<button data-testid="regenerate" @click=${this.regenerate}>Regenerate</button>` : nothing}
      </div>`;
  }

  override render() {
    const user = this.message.role === 'user';
    return html`<div class=${user ? 'user' : 'assistant'}>
      <div class="who">${user ? 'You' : 'Assistant'}</div>
      ${user ? this.renderUser() : this.renderAssistant()}
    </div>`;
  }
}

customElements.define('chat-message', ChatMessageElement);

declare global {
  interface HTMLElementTagNameMap {
    'chat-message': ChatMessageElement;
  }
}
