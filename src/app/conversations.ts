/**
 * The chat app's data: conversations, their messages, the sampling settings, the pure helpers the elements
 * share, and persistence in IndexedDB (idb-keyval).
 *
 * Storage: one database `tabserve-chat` with one object store `state`, keys
 *   `conversation:<id>` → Conversation   (one record per conversation, rewritten whole on each save)
 *   `settings`          → ChatSettings
 * Records read back are checked (parseConversation / parseSettings): a record from an older version or a
 * damaged one is skipped or repaired, never trusted blindly.
 */
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';

/** Timings of one answer, measured by the client (see chat_turn.ts). */
export interface AnswerStats {
  /** Request sent → first text received. */
  ttftMs: number;
  /** Decode speed after the first token. */
  tokensPerSecond: number;
  completionTokens: number;
  promptTokens: number;
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
  stats?: AnswerStats;
  /** Why the answer failed, in plain words (the content keeps whatever arrived before). */
  error?: string;
  /** The server's finish_reason ('stop', 'length'), or 'stopped' when the user stopped it. */
  finishReason?: string;
}

export interface Conversation {
  id: string;
  title: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  messages: ChatMessage[];
}

/** Request settings. null = the field is left out of the request (server default). */
export interface ChatSettings {
  /** System prompt; sent first when not blank. */
  system: string;
  temperature: number;
  top_p: number;
  /** Keep the k most likely tokens; null = off. A local-server extension, not an OpenAI field. */
  top_k: number | null;
  max_tokens: number;
  /** null = a fresh random seed per request. */
  seed: number | null;
}

export const DEFAULT_SETTINGS: Readonly<ChatSettings> = Object.freeze({
  system: '',
  temperature: 0.7,
  top_p: 0.95,
  top_k: null,
  max_tokens: 512,
  seed: null,
});

/** Accepted ranges (inclusive unless noted), the same the params panel shows. */
export const LIMITS = {
  temperature: { min: 0, max: 2 },
  /** min is exclusive: top_p 0 keeps nothing. */
  top_p: { min: 0, max: 1 },
  top_k: { min: 1, max: 100_000 },
  max_tokens: { min: 1, max: 131_072 },
} as const;

export const NEW_CHAT_TITLE = 'New chat';
const TITLE_CHARS = 60;

export function newId(): string {
  return crypto.randomUUID();
}

export function newConversation(now: number = Date.now(), id: string = newId()): Conversation {
  return { id, title: NEW_CHAT_TITLE, createdAt: now, updatedAt: now, messages: [] };
}

/** The first user message on one line, cut to 60 characters; "New chat" while there is none. */
export function titleFrom(messages: readonly ChatMessage[]): string {
  const first = messages.find((m) => m.role === 'user' && m.content.trim() !== '');
  if (!first) return NEW_CHAT_TITLE;
  const line = first.content.replace(/\s+/g, ' ').trim();
  return line.length <= TITLE_CHARS ? line : `${line.slice(0, TITLE_CHARS - 1).trimEnd()}…`;
}

/** A copy of `c` with new messages: title and updatedAt follow. */
export function withMessages(c: Conversation, messages: ChatMessage[], now: number = Date.now()): Conversation {
  return { ...c, messages, title: titleFrom(messages), updatedAt: now };
}

/** Most recently updated first. */
export function sortConversations(list: readonly Conversation[]): Conversation[] {
  return [...list].sort((a, b) => b.updatedAt - a.updatedAt);
}

export interface RequestMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * What the model is sent for a conversation: the system prompt first when not blank, then the messages.
 * Assistant messages with no text (failed before any text arrived) are left out; partial answers (stopped,
 * or failed midway) stay, since the user saw them.
 */
export function requestMessages(system: string, messages: readonly ChatMessage[]): RequestMessage[] {
  const out: RequestMessage[] = system.trim() === '' ? [] : [{ role: 'system', content: system }];
  for (const m of messages) if (m.role === 'user' || m.content !== '') out.push({ role: m.role, content: m.content });
  return out;
}

/** "TTFT 120 ms · 14.2 tok/s · 48 tokens" */
export function formatStats(s: AnswerStats): string {
  const tokens = `${s.completionTokens} ${s.completionTokens === 1 ? 'token' : 'tokens'}`;
  return `TTFT ${Math.round(s.ttftMs)} ms · ${s.tokensPerSecond.toFixed(1)} tok/s · ${tokens}`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function relativeTime(then: number, now: number = Date.now()): string {
  const s = Math.max(0, (now - then) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.round(s / 86_400)} d ago`;
  return new Date(then).toLocaleDateString();
}

// --- checking what comes back from storage ---

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function parseStats(v: unknown): AnswerStats | undefined {
  if (!isObject(v)) return undefined;
  const { ttftMs, tokensPerSecond, completionTokens, promptTokens } = v;
  if (!isNumber(ttftMs) || !isNumber(tokensPerSecond) || !isNumber(completionTokens) || !isNumber(promptTokens)) return undefined;
  return { ttftMs, tokensPerSecond, completionTokens, promptTokens };
}

function parseMessage(v: unknown): ChatMessage | null {
  if (!isObject(v) || (v.role !== 'user' && v.role !== 'assistant') || typeof v.content !== 'string') return null;
  const m: ChatMessage = { role: v.role, content: v.content };
  const stats = parseStats(v.stats);
  if (stats) m.stats = stats;
  if (typeof v.error === 'string') m.error = v.error;
  if (typeof v.finishReason === 'string') m.finishReason = v.finishReason;
  return m;
}

/** A stored conversation, or null when it is not one. Bad messages are dropped, good ones kept. */
export function parseConversation(v: unknown): Conversation | null {
  if (!isObject(v) || typeof v.id !== 'string' || v.id === '' || !Array.isArray(v.messages)) return null;
  const messages = v.messages.map(parseMessage).filter((m): m is ChatMessage => m !== null);
  const createdAt = isNumber(v.createdAt) ? v.createdAt : 0;
  const updatedAt = isNumber(v.updatedAt) ? v.updatedAt : createdAt;
  const title = typeof v.title === 'string' && v.title.trim() !== '' ? v.title : titleFrom(messages);
  return { id: v.id, title, createdAt, updatedAt, messages };
}

export type SettingsField = Exclude<keyof ChatSettings, 'system'>;
/** The numeric settings as typed in a form: '' for an optional field means off (null). */
export type SettingsForm = Record<keyof ChatSettings, string>;
export type SettingsCheck = { ok: true; settings: ChatSettings } | { ok: false; errors: Partial<Record<SettingsField, string>> };

/** The problem with one numeric setting, or null when it is fine. */
export function checkSetting(field: SettingsField, value: number | null): string | null {
  switch (field) {
    case 'temperature':
      return isNumber(value) && value >= LIMITS.temperature.min && value <= LIMITS.temperature.max ? null : 'temperature must be a number from 0 to 2';
    case 'top_p':
      return isNumber(value) && value > LIMITS.top_p.min && value <= LIMITS.top_p.max ? null : 'top_p must be more than 0 and at most 1';
    case 'top_k':
      return value === null || (Number.isInteger(value) && value >= LIMITS.top_k.min && value <= LIMITS.top_k.max) ? null : `top_k must be a whole number from 1 to ${LIMITS.top_k.max}, or empty for off`;
    case 'max_tokens':
      return Number.isInteger(value) && value !== null && value >= LIMITS.max_tokens.min && value <= LIMITS.max_tokens.max ? null : `max tokens must be a whole number from 1 to ${LIMITS.max_tokens.max}`;
    case 'seed':
      return value === null || Number.isSafeInteger(value) ? null : 'seed must be a whole number, or empty for a random seed';
  }
}

const NUMERIC: readonly SettingsField[] = ['temperature', 'top_p', 'top_k', 'max_tokens', 'seed'];
const OPTIONAL: ReadonlySet<SettingsField> = new Set(['top_k', 'seed']);

/** Form text → settings, or an error per bad field. An empty required field is an error. */
export function settingsFromForm(form: SettingsForm): SettingsCheck {
  const settings: ChatSettings = { ...DEFAULT_SETTINGS, system: form.system };
  const errors: Partial<Record<SettingsField, string>> = {};
  for (const field of NUMERIC) {
    const text = form[field].trim();
    const value = text === '' ? (OPTIONAL.has(field) ? null : NaN) : Number(text);
    const problem = checkSetting(field, value);
    if (problem !== null) errors[field] = problem;
    else if (field === 'top_k' || field === 'seed') settings[field] = value;
    else if (value !== null) settings[field] = value; // checkSetting refused null for the required fields
  }
  return Object.keys(errors).length === 0 ? { ok: true, settings } : { ok: false, errors };
}

/** Settings → form text (null → ''). */
export function settingsToForm(s: ChatSettings): SettingsForm {
  const text = (v: number | null) => (v === null ? '' : String(v));
  return { system: s.system, temperature: text(s.temperature), top_p: text(s.top_p), top_k: text(s.top_k), max_tokens: text(s.max_tokens), seed: text(s.seed) };
}

/** Stored settings: each valid field kept, each missing or invalid one from DEFAULT_SETTINGS. */
export function parseSettings(v: unknown): ChatSettings {
  const s: ChatSettings = { ...DEFAULT_SETTINGS };
  if (!isObject(v)) return s;
  if (typeof v.system === 'string') s.system = v.system;
  for (const field of NUMERIC) {
    const value = v[field];
    if (value === null && (field === 'top_k' || field === 'seed')) s[field] = null;
    else if (isNumber(value) && checkSetting(field, value) === null) s[field] = value;
  }
  return s;
}

// --- persistence ---

const CONVERSATION_PREFIX = 'conversation:';
const SETTINGS_KEY = 'settings';
let store: UseStore | undefined;
// created on first use: createStore opens the database at once, and this module is also imported in Node
const db = (): UseStore => (store ??= createStore('tabserve-chat', 'state'));

/** Every stored conversation, most recently updated first. */
export async function loadConversations(): Promise<Conversation[]> {
  const all = await entries<IDBValidKey, unknown>(db());
  const list: Conversation[] = [];
  for (const [key, value] of all) {
    if (typeof key !== 'string' || !key.startsWith(CONVERSATION_PREFIX)) continue;
    const c = parseConversation(value);
    if (c) list.push(c);
  }
  return sortConversations(list);
}

export async function saveConversation(c: Conversation): Promise<void> {
  // a plain copy: structured clone refuses proxies and class instances a caller might hold
  await set(CONVERSATION_PREFIX + c.id, JSON.parse(JSON.stringify(c)) as Conversation, db());
}

export async function deleteConversation(id: string): Promise<void> {
  await del(CONVERSATION_PREFIX + id, db());
}

export async function loadSettings(): Promise<ChatSettings> {
  return parseSettings(await get<unknown>(SETTINGS_KEY, db()));
}

export async function saveSettings(s: ChatSettings): Promise<void> {
  await set(SETTINGS_KEY, { ...s }, db());
}
