/**
 * <params-panel>: the system prompt and sampling settings. Every field is checked when it changes (left or
 * Enter); only a complete, valid set is announced, and each bad field says what it accepts.
 *
 * @fires settings-change - {settings}: new valid settings (ChatSettings)
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import {
  DEFAULT_SETTINGS,
  settingsFromForm,
  settingsToForm,
  type ChatSettings,
  type SettingsField,
  type SettingsForm,
} from '../app/conversations.ts';

export type SettingsChangeDetail = { settings: ChatSettings };

interface FieldInfo {
  field: SettingsField;
  label: string;
  hint: string;
  /** inputmode: the on-screen keyboard to offer */
  mode: 'decimal' | 'numeric';
  placeholder?: string;
}

const FIELDS: readonly FieldInfo[] = [
  { field: 'temperature', label: 'Temperature', hint: '0 to 2; 0 always picks the most likely token', mode: 'decimal' },
  { field: 'top_p', label: 'Top p', hint: 'above 0, up to 1 (1 = off)', mode: 'decimal' },
  { field: 'top_k', label: 'Top k', hint: 'whole number; empty = off', mode: 'numeric', placeholder: 'off' },
  { field: 'max_tokens', label: 'Max tokens', hint: 'longest answer, in tokens', mode: 'numeric' },
  { field: 'seed', label: 'Seed', hint: 'same seed, same answer; empty = random', mode: 'numeric', placeholder: 'random' },
];

export class ParamsPanel extends LitElement {
  static override properties = {
    settings: { attribute: false },
    form: { state: true },
    errors: { state: true },
  };
  static override styles = css`
    :host { display: block; font-size: 0.9rem; }
    form { display: grid; gap: 0.7rem; }
    label { display: grid; gap: 0.2rem; font-weight: 600; color: #33404f; }
    small { font-weight: normal; color: #5b6775; }
    input, textarea { font: inherit; font-weight: normal; padding: 0.35rem 0.5rem; border: 1px solid #c9d1db; border-radius: 6px; }
    textarea { min-height: 5rem; resize: vertical; }
    [aria-invalid='true'] { border-color: #a32020; outline-color: #a32020; }
    .error { color: #a32020; font-weight: normal; font-size: 0.8rem; }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 0.7rem; }
    .grid > * { min-width: 0; }
    input, textarea { box-sizing: border-box; width: 100%; min-width: 0; }
    button { justify-self: start; font: inherit; padding: 0.3rem 0.8rem; border: 1px solid #c9d1db; border-radius: 6px; background: #fff; cursor: pointer; }
  `;

  settings: ChatSettings = { ...DEFAULT_SETTINGS };
  /** What the fields hold now, as text: may differ from `settings` while a field is invalid. */
  private form: SettingsForm = settingsToForm(DEFAULT_SETTINGS);
  private errors: Partial<Record<SettingsField, string>> = {};

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('settings')) {
      this.form = settingsToForm(this.settings);
      this.errors = {};
    }
  }

  private onChange(field: keyof ChatSettings, value: string) {
    this.form = { ...this.form, [field]: value };
    const check = settingsFromForm(this.form);
    if (!check.ok) {
      this.errors = check.errors;
      return;
    }
    this.errors = {};
    const s = check.settings;
    const same = (Object.keys(s) as (keyof ChatSettings)[]).every((k) => s[k] === this.settings[k]);
    if (!same) this.dispatchEvent(new CustomEvent<SettingsChangeDetail>('settings-change', { detail: { settings: s }, bubbles: true, composed: true }));
  }

  private reset() {
    this.form = settingsToForm(DEFAULT_SETTINGS);
    this.errors = {};
    this.onChange('system', DEFAULT_SETTINGS.system);
  }

  private renderField(f: FieldInfo) {
    const error = this.errors[f.field];
    return html`<label>
      ${f.label}
      <input
        type="text"
        name=${f.field}
        data-testid=${`param-${f.field}`}
        inputmode=${f.mode}
        autocomplete="off"
        placeholder=${f.placeholder ?? ''}
        .value=${this.form[f.field]}
        aria-invalid=${error ? 'true' : 'false'}
        @change=${(e: Event) => this.onChange(f.field, (e.target as HTMLInputElement).value)}
      />
      ${error ? html`<span class="error" role="alert" data-testid=${`param-error-${f.field}`}>${error}</span>` : html`<small>${f.hint}</small>`}
    </label>`;
  }

  override render() {
    return html`<form @submit=${(e: Event) => e.preventDefault()}>
      <label>
        System prompt
        <textarea
          name="system"
          data-testid="param-system"
          placeholder="Optional instructions sent before the conversation"
          .value=${this.form.system}
          @change=${(e: Event) => this.onChange('system', (e.target as HTMLTextAreaElement).value)}
        ></textarea>
      </label>
      <div class="grid">${FIELDS.map((f) => this.renderField(f))}</div>
      <button type="button" data-testid="param-reset" @click=${this.reset}>Reset to defaults</button>
    </form>`;
  }
}

customElements.define('params-panel', ParamsPanel);

declare global {
  interface HTMLElementTagNameMap {
    'params-panel': ParamsPanel;
  }
}
