/**
 * <message-input>: where the user types. Enter sends, Shift+Enter starts a new line. While an answer is
 * being generated (`busy`) the text can still be written but not sent, and a Stop button shows.
 *
 * @fires send - {text}: the user sent this text (never blank); the box is cleared
 * @fires stop - the user wants the answer being generated stopped
 */
import { LitElement, css, html, nothing } from 'lit';

export type SendDetail = { text: string };

export class MessageInput extends LitElement {
  static override properties = {
    busy: { type: Boolean },
    disabled: { type: Boolean },
    placeholder: {},
  };
  static override styles = css`
    :host { display: block; }
    form { display: flex; gap: 0.5rem; align-items: flex-end; }
    textarea { flex: 1; box-sizing: border-box; min-height: 2.8rem; max-height: 12rem; font: inherit; padding: 0.6rem 0.75rem; border: 1px solid #c9d1db; border-radius: 10px; resize: none; field-sizing: content; }
    textarea:focus { outline: 2px solid #1f5fbf33; border-color: #1f5fbf; }
    textarea:disabled { background: #f1f4f8; }
    button { font: inherit; height: 2.8rem; padding: 0 1.1rem; border-radius: 10px; border: 1px solid #1f5fbf; background: #1f5fbf; color: #fff; cursor: pointer; }
    button:disabled { opacity: 0.5; cursor: default; }
    button.stop { background: #fff; color: #a32020; border-color: #a32020; }
  `;

  /** An answer is being generated: Send is off, Stop is shown. */
  busy = false;
  /** Nothing can be typed (no model ready); `placeholder` should say why. */
  disabled = false;
  placeholder = 'Message (Enter to send, Shift+Enter for a new line)';

  private get box(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('textarea');
  }

  override focus(): void {
    this.box?.focus();
  }

  private send() {
    const box = this.box;
    if (!box || this.busy || this.disabled || box.value.trim() === '') return;
    const text = box.value;
    box.value = '';
    this.dispatchEvent(new CustomEvent<SendDetail>('send', { detail: { text }, bubbles: true, composed: true }));
  }

  private onKeyDown(e: KeyboardEvent) {
    // isComposing: Enter that confirms an IME composition (Japanese, Chinese, ...) is not a send
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    this.send();
  }

  private onSubmit(e: Event) {
    e.preventDefault();
    this.send();
  }

  private stop() {
    this.dispatchEvent(new CustomEvent('stop', { bubbles: true, composed: true }));
  }

  override render() {
    return html`<form @submit=${this.onSubmit}>
      <textarea
        rows="1"
        aria-label="Message"
        data-testid="message-input"
        placeholder=${this.placeholder}
        ?disabled=${this.disabled}
        @keydown=${this.onKeyDown}
      ></textarea>
      ${this.busy ? html`<button type="button" class="stop" data-testid="stop" @click=${this.stop}>Stop</button>` : nothing}
      <button type="submit" data-testid="send" ?disabled=${this.busy || this.disabled}>Send</button>
    </form>`;
  }
}

customElements.define('message-input', MessageInput);

declare global {
  interface HTMLElementTagNameMap {
    'message-input': MessageInput;
  }
}
