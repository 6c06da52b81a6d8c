/**
 * <conversation-list>: the saved conversations, newest first, with a New chat button. Deleting takes two
 * clicks (Delete, then Confirm), since it cannot be undone.
 *
 * @fires select - {id}: the user opened this conversation
 * @fires new-chat - the user wants a new, empty conversation
 * @fires delete - {id}: the user confirmed deleting this conversation
 */
import { LitElement, css, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { relativeTime, type Conversation } from '../app/conversations.ts';

export type IdDetail = { id: string };

export class ConversationList extends LitElement {
  static override properties = {
    conversations: { attribute: false },
    selectedId: { attribute: false },
    confirming: { state: true },
  };
  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 0.5rem; min-height: 0; }
    .new { font: inherit; padding: 0.5rem 0.8rem; border-radius: 8px; border: 1px solid #1f5fbf; background: #1f5fbf; color: #fff; cursor: pointer; }
    ul { list-style: none; margin: 0; padding: 0; overflow-y: auto; display: flex; flex-direction: column; gap: 2px; }
    li { display: flex; align-items: center; border-radius: 8px; }
    li:hover { background: #e9edf2; }
    li[aria-current='true'] { background: #dfe7f3; }
    .open { flex: 1; min-width: 0; text-align: left; font: inherit; background: none; border: none; padding: 0.45rem 0.6rem; cursor: pointer; color: inherit; }
    .title { display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .time { display: block; font-size: 0.75rem; color: #5b6775; }
    .delete { font: inherit; font-size: 0.75rem; margin-right: 0.3rem; padding: 0.15rem 0.45rem; border: 1px solid transparent; border-radius: 6px; background: none; color: #5b6775; cursor: pointer; }
    .delete:hover, .delete.confirm { border-color: #a32020; color: #a32020; background: #fff; }
    .none { color: #5b6775; font-size: 0.85rem; padding: 0 0.6rem; }
  `;

  conversations: Conversation[] = [];
  selectedId: string | null = null;
  /** The conversation whose Delete was clicked once. */
  private confirming: string | null = null;

  private fire(type: string, detail?: IdDetail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private onDelete(id: string) {
    if (this.confirming !== id) {
      this.confirming = id;
      return;
    }
    this.confirming = null;
    this.fire('delete', { id });
  }

  override render() {
    const now = Date.now();
    return html`
      <button class="new" data-testid="new-chat" @click=${() => this.fire('new-chat')}>New chat</button>
      ${this.conversations.length === 0 ? html`<p class="none">No conversations yet</p>` : ''}
      <ul aria-label="Conversations">
        ${repeat(
          this.conversations,
          (c) => c.id,
          (c) => {
            const confirm = this.confirming === c.id;
            return html`<li data-testid="conversation" data-id=${c.id} aria-current=${c.id === this.selectedId ? 'true' : 'false'} @mouseleave=${() => confirm && (this.confirming = null)}>
              <button class="open" @click=${() => this.fire('select', { id: c.id })}>
                <span class="title">${c.title}</span>
                <span class="time">${relativeTime(c.updatedAt, now)}</span>
              </button>
              <button class=${confirm ? 'delete confirm' : 'delete'} data-testid="delete" aria-label=${confirm ? `Confirm deleting ${c.title}` : `Delete ${c.title}`} @click=${() => this.onDelete(c.id)}>
                ${confirm ? 'Confirm' : 'Delete'}
              </button>
            </li>`;
          },
        )}
      </ul>
    `;
  }
}

customElements.define('conversation-list', ConversationList);

declare global {
  interface HTMLElementTagNameMap {
    'conversation-list': ConversationList;
  }
}
