/**
 * <chat-page>: the chat app. Conversation list on the left, the conversation and the message box in the
 * middle, the settings panel on the right when opened. Owns the conversations (loaded from IndexedDB when
 * connected, saved as they change), the settings, and the turns.
 *
 * A turn: the user message is saved first (nothing typed is ever lost), then the answer streams into a new
 * assistant message (saved every few seconds while it streams and at the end, also when stopped or failed).
 * Stop keeps the partial answer, marked stopped; a failure keeps it too, with the error in plain words.
 * One turn runs at a time. Give the element a height (it fills it).
 */
import { LitElement, css, html, nothing } from 'lit';
import type OpenAI from 'openai';
import { streamAnswer } from '../app/chat_turn.ts';
import {
  DEFAULT_SETTINGS,
  deleteConversation,
  loadConversations,
  loadSettings,
  newConversation,
  requestMessages,
  saveConversation,
  saveSettings,
  sortConversations,
  withMessages,
  type ChatMessage,
  type ChatSettings,
  type Conversation,
} from '../app/conversations.ts';
import type { IdDetail } from './conversation-list.ts';
import type { IndexedEditDetail, RegenerateDetail } from './conversation-view.ts';
import type { SendDetail } from './message-input.ts';
import type { SettingsChangeDetail } from './params-panel.ts';
import './conversation-list.ts';
import './conversation-view.ts';
import './message-input.ts';
import './params-panel.ts';

/** How often a streaming answer is saved (ms), so a closed tab loses at most this much of it. */
const SAVE_EVERY_MS = 2000;

/** The answer being streamed: conversation id and message index. */
type Streaming = { id: string; index: number };

export class ChatPage extends LitElement {
  static override properties = {
    client: { attribute: false },
    model: { attribute: false },
    modelLabel: { attribute: false },
    conversations: { state: true },
    currentId: { state: true },
    settings: { state: true },
    streaming: { state: true },
    showSettings: { state: true },
    storageError: { state: true },
  };
  static override styles = css`
    :host { display: grid; grid-template-columns: minmax(12rem, 16rem) minmax(0, 1fr) auto; height: 100%; min-height: 0; font: 15px/1.5 system-ui, sans-serif; color: #1d2733; background: #f6f8fa; }
    .side { display: flex; flex-direction: column; min-height: 0; padding: 0.75rem; border-right: 1px solid #e1e6ec; background: #eef1f5; }
    main { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
    header { display: flex; align-items: center; gap: 0.75rem; padding: 0.5rem 1rem; border-bottom: 1px solid #e1e6ec; background: #fff; }
    .model { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: #33404f; }
    header button { font: inherit; font-size: 0.85rem; padding: 0.25rem 0.75rem; border: 1px solid #c9d1db; border-radius: 6px; background: #fff; cursor: pointer; }
    conversation-view { flex: 1; min-height: 0; }
    footer { padding: 0.75rem 1rem 1rem; border-top: 1px solid #e1e6ec; background: #fff; }
    .hint { margin: 0.4rem 0 0; font-size: 0.85rem; color: #5b6775; }
    .warning { margin: 0; padding: 0.4rem 1rem; background: #fff4e0; color: #7a4b00; font-size: 0.85rem; }
    .settings { width: 20rem; overflow-y: auto; padding: 0.75rem 1rem; border-left: 1px solid #e1e6ec; background: #fff; }
    .settings h2 { font-size: 1rem; margin: 0 0 0.75rem; }
    @media (max-width: 56rem) {
      :host { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr) auto; }
      .side { max-height: 30vh; border-right: none; border-bottom: 1px solid #e1e6ec; }
      .settings { width: auto; max-height: 40vh; border-left: none; border-top: 1px solid #e1e6ec; }
    }
  `;

  /** The OpenAI client that answers (tabserve's /v1 in the app); null: none yet. */
  client: OpenAI | null = null;
  /** Model id to ask for; null: no model is ready yet (the message box is off, with a hint). */
  model: string | null = null;
  /** How the model is shown in the header. */
  modelLabel = '';

  private conversations: Conversation[] = [];
  /** The open conversation; null: a new one, created by the first message. */
  private currentId: string | null = null;
  private settings: ChatSettings = { ...DEFAULT_SETTINGS };
  private streaming: Streaming | null = null;
  private showSettings = false;
  private storageError = '';
  private controller: AbortController | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    this.controller?.abort();
    super.disconnectedCallback();
  }

  private async load() {
    try {
      const [stored, settings] = await Promise.all([loadConversations(), loadSettings()]);
      // a message sent before loading finished stays: what is in memory wins over what was stored
      const known = new Set(this.conversations.map((c) => c.id));
      this.conversations = sortConversations([...this.conversations, ...stored.filter((c) => !known.has(c.id))]);
      this.settings = settings;
      this.currentId ??= this.conversations[0]?.id ?? null;
    } catch (e) {
      this.storageError = `Saved conversations could not be read (${e instanceof Error ? e.message : String(e)}); new ones may not be kept.`;
    }
  }

  private find(id: string | null): Conversation | undefined {
    return id === null ? undefined : this.conversations.find((c) => c.id === id);
  }

  /** Replaces (or adds) a conversation in memory, keeping the list newest first. */
  private put(c: Conversation) {
    const others = this.conversations.filter((x) => x.id !== c.id);
    this.conversations = sortConversations([c, ...others]);
  }

  private async persist(id: string) {
    const c = this.find(id);
    if (!c) return; // deleted meanwhile
    try {
      await saveConversation(c);
    } catch (e) {
      this.storageError = `This conversation could not be saved (${e instanceof Error ? e.message : String(e)}).`;
    }
  }

  /** Sets message `index` of conversation `id` without touching its time (so the list does not reorder). */
  private setMessage(id: string, index: number, m: ChatMessage) {
    const c = this.find(id);
    if (!c || index >= c.messages.length) return;
    const messages = c.messages.slice();
    messages[index] = m;
    this.conversations = this.conversations.map((x) => (x.id === id ? { ...c, messages } : x));
  }

  private get busy(): boolean {
    return this.streaming !== null;
  }

  /** Streams an answer to conversation `id` as it is now (its last message is the user's). */
  private async runTurn(id: string) {
    const client = this.client;
    const model = this.model;
    const c = this.find(id);
    if (!client || !model || !c || this.busy) return;
    const messages = requestMessages(this.settings.system, c.messages);
    const index = c.messages.length;
    this.put(withMessages(c, [...c.messages, { role: 'assistant', content: '' }]));
    const controller = new AbortController();
    this.controller = controller;
    this.streaming = { id, index };
    let savedAt = Date.now();
    let text = '';
    let answer: ChatMessage;
    try {
      const r = await streamAnswer({
        client,
        model,
        messages,
        settings: this.settings,
        signal: controller.signal,
        onText: (t) => {
          text = t;
          this.setMessage(id, index, { role: 'assistant', content: t });
          if (Date.now() - savedAt >= SAVE_EVERY_MS) {
            savedAt = Date.now();
            void this.persist(id);
          }
        },
      });
      answer = { role: 'assistant', content: r.content, stats: r.stats };
      if (r.finishReason !== null) answer.finishReason = r.finishReason;
    } catch (e) {
      answer = { role: 'assistant', content: text, error: e instanceof Error ? e.message : String(e) };
    }
    this.controller = null;
    this.streaming = null;
    this.setMessage(id, index, answer);
    const done = this.find(id);
    if (done) this.put({ ...done, updatedAt: Date.now() });
    await this.persist(id);
  }

  private async onSend(e: CustomEvent<SendDetail>) {
    if (!this.client || !this.model || this.busy) return;
    const c = this.find(this.currentId) ?? newConversation();
    this.currentId = c.id;
    this.put(withMessages(c, [...c.messages, { role: 'user', content: e.detail.text }]));
    await this.persist(c.id);
    await this.runTurn(c.id);
  }

  private onStop() {
    this.controller?.abort();
  }

  private async onRegenerate(e: CustomEvent<RegenerateDetail>) {
    const c = this.find(this.currentId);
    const m = c?.messages[e.detail.index];
    if (!c || this.busy || m?.role !== 'assistant' || e.detail.index !== c.messages.length - 1) return;
    this.put(withMessages(c, c.messages.slice(0, -1)));
    await this.runTurn(c.id);
  }

  private async onEdit(e: CustomEvent<IndexedEditDetail>) {
    const { index, text } = e.detail;
    const c = this.find(this.currentId);
    if (!c || this.busy || c.messages[index]?.role !== 'user') return;
    // the edited message replaces the old one; everything after it belonged to the old one and goes
    this.put(withMessages(c, [...c.messages.slice(0, index), { role: 'user', content: text }]));
    await this.persist(c.id);
    await this.runTurn(c.id);
  }

  private onSelect(e: CustomEvent<IdDetail>) {
    this.currentId = e.detail.id;
  }

  private onNewChat() {
    this.currentId = null;
    void this.updateComplete.then(() => this.renderRoot.querySelector('message-input')?.focus());
  }

  private async onDelete(e: CustomEvent<IdDetail>) {
    const { id } = e.detail;
    if (this.streaming?.id === id) this.controller?.abort();
    this.conversations = this.conversations.filter((c) => c.id !== id);
    if (this.currentId === id) this.currentId = this.conversations[0]?.id ?? null;
    try {
      await deleteConversation(id);
    } catch (err) {
      this.storageError = `The conversation could not be deleted from storage (${err instanceof Error ? err.message : String(err)}).`;
    }
  }

  private async onSettings(e: CustomEvent<SettingsChangeDetail>) {
    this.settings = e.detail.settings;
    try {
      await saveSettings(this.settings);
    } catch (err) {
      this.storageError = `The settings could not be saved (${err instanceof Error ? err.message : String(err)}).`;
    }
  }

  override render() {
    const current = this.find(this.currentId);
    const streamingHere = this.streaming !== null && this.streaming.id === current?.id ? this.streaming.index : -1;
    const ready = this.client !== null && this.model !== null;
    return html`
      <aside class="side">
        <conversation-list .conversations=${this.conversations} .selectedId=${this.currentId} @select=${this.onSelect} @new-chat=${this.onNewChat} @delete=${this.onDelete}></conversation-list>
      </aside>
      <main>
        <header>
          <span class="model" data-testid="model-label">${this.modelLabel || (ready ? this.model : 'No model loaded')}</span>
          <button aria-expanded=${this.showSettings ? 'true' : 'false'} data-testid="settings-toggle" @click=${() => (this.showSettings = !this.showSettings)}>Settings</button>
        </header>
        ${this.storageError ? html`<p class="warning" role="alert" data-testid="storage-error">${this.storageError}</p>` : nothing}
        <conversation-view .messages=${current?.messages ?? []} .streaming=${streamingHere} ?disabled=${this.busy} @edit=${this.onEdit} @regenerate=${this.onRegenerate}></conversation-view>
        <footer>
          <message-input
            ?busy=${this.busy}
            ?disabled=${!ready}
            placeholder=${ready ? 'Message (Enter to send, Shift+Enter for a new line)' : 'No model is ready yet'}
            @send=${this.onSend}
            @stop=${this.onStop}
          ></message-input>
          ${ready ? nothing : html`<p class="hint" data-testid="model-hint">Load a model to start chatting; your conversations stay here meanwhile.</p>`}
        </footer>
      </main>
      ${this.showSettings
        ? html`<aside class="settings" aria-label="Settings"><h2>Settings</h2><params-panel .settings=${this.settings} @settings-change=${this.onSettings}></params-panel></aside>`
        : nothing}
    `;
  }
}

customElements.define('chat-page', ChatPage);

declare global {
  interface HTMLElementTagNameMap {
    'chat-page': ChatPage;
  }
}
