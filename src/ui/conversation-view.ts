/**
 * <conversation-view>: the messages of one conversation, scrolled to the bottom while an answer streams
 * (unless the user scrolled up to read), or an empty state. It is its own scroll container: give it a
 * height (or flex: 1 in a column).
 *
 * @fires edit - {index, text}: user message `index` was edited and sent
 * @fires regenerate - {index}: answer `index` (the last message) should be generated again
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ChatMessage } from '../app/conversations.ts';
import type { EditDetail } from './chat-message.ts';
import './chat-message.ts';

export type IndexedEditDetail = { index: number; text: string };
export type RegenerateDetail = { index: number };

/** Within this many pixels of the bottom counts as "at the bottom": new text keeps it there. */
const STICK_PX = 48;

export class ConversationView extends LitElement {
  static override properties = {
    messages: { attribute: false },
    streaming: { type: Number },
    disabled: { type: Boolean },
  };
  static override styles = css`
    :host { display: block; overflow-y: auto; overscroll-behavior: contain; }
    .list { display: flex; flex-direction: column; gap: 1rem; padding: 1rem; }
    .empty { display: grid; place-items: center; height: 100%; min-height: 8rem; color: #5b6775; }
  `;

  messages: ChatMessage[] = [];
  /** Index of the message being streamed, -1 when none. */
  streaming = -1;
  /** Hide the messages' Edit and Regenerate buttons (a turn is running elsewhere). */
  disabled = false;
  private stick = true;
  private resizes?: ResizeObserver;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('scroll', this.onScroll, { passive: true });
  }

  override disconnectedCallback(): void {
    this.removeEventListener('scroll', this.onScroll);
    this.resizes?.disconnect();
    this.resizes = undefined;
    super.disconnectedCallback();
  }

  /** Follows the user's scrolling: at the bottom → keep following new text; scrolled up → leave it be. */
  private onScroll = () => {
    // A scroll event comes a frame after our own scrollToBottom(), by which time the answer may have grown:
    // that is not the user scrolling up. Only a position above the one we set can be the user's doing.
    if (this.stick && this.scrollTop >= this.autoTop - 1) return;
    this.stick = this.scrollHeight - this.scrollTop - this.clientHeight <= STICK_PX;
  };

  /** scrollTop as scrollToBottom() last left it. */
  private autoTop = 0;

  private scrollToBottom() {
    this.scrollTop = this.scrollHeight;
    this.autoTop = this.scrollTop;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // a new message (the user's own, or a new answer starting) brings the view down again
    const before = changed.get('messages') as ChatMessage[] | undefined;
    if (changed.has('messages') && (before === undefined || this.messages.length > before.length)) this.stick = true;
  }

  protected override updated(): void {
    // messages render in their own updates (markdown inside), after this one: watch the list's size instead
    const list = this.renderRoot.querySelector('.list');
    if (list && !this.resizes) {
      this.resizes = new ResizeObserver(() => {
        if (this.stick) this.scrollToBottom();
      });
      this.resizes.observe(list);
    }
    if (list && this.resizes) {
      // each message too: an answer growing inside its own shadow root need not resize the list box at once
      for (const m of list.querySelectorAll('chat-message')) this.resizes.observe(m);
    } else if (!list) {
      this.resizes?.disconnect();
      this.resizes = undefined;
    }
    if (this.stick) this.scrollToBottom();
  }

  private onEdit(index: number, e: CustomEvent<EditDetail>) {
    e.stopPropagation();
    this.dispatchEvent(new CustomEvent<IndexedEditDetail>('edit', { detail: { index, text: e.detail.text }, bubbles: true, composed: true }));
  }

  private onRegenerate(index: number, e: Event) {
    e.stopPropagation();
    this.dispatchEvent(new CustomEvent<RegenerateDetail>('regenerate', { detail: { index }, bubbles: true, composed: true }));
  }

  override render() {
    if (this.messages.length === 0) return html`<div class="empty" data-testid="empty">Send a message to start</div>`;
    const lastIndex = this.messages.length - 1;
    return html`<div class="list" role="log" aria-busy=${this.streaming >= 0 ? 'true' : 'false'}>
      ${repeat(
        this.messages,
        (_m, i) => i,
        (m, i) => html`<chat-message
          data-testid=${m.role}
          .message=${m}
          ?streaming=${i === this.streaming}
          ?last=${i === lastIndex}
          ?disabled=${this.disabled || this.streaming >= 0}
          @edit=${(e: CustomEvent<EditDetail>) => this.onEdit(i, e)}
          @regenerate=${(e: Event) => this.onRegenerate(i, e)}
        ></chat-message>`,
      )}
    </div>`;
  }
}

customElements.define('conversation-view', ConversationView);

declare global {
  interface HTMLElementTagNameMap {
    'conversation-view': ConversationView;
  }
}
