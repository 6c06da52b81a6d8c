/**
 * A model's chat template (the Jinja source in GGUF `tokenizer.chat_template`), rendered with
 * @huggingface/jinja the way Hugging Face transformers renders it, so prompts match what the model
 * was trained on.
 *
 * Variables given to the template: messages, add_generation_prompt, bos_token, eos_token, tools (null
 * when none, as transformers passes None), date_string (Llama 3.x reads it; llama.cpp passes it too),
 * strftime_now, raise_exception, range, then the caller's `extra` (enable_thinking, reasoning_effort...),
 * which may override any of them.
 */
import { Interpreter, Environment, Template } from '@huggingface/jinja';
import type { MetaEntry } from '../gguf/writer.ts';
import { BUILTIN_CHAT_TEMPLATE } from '../model/builtin_vocab.ts';
import { TemplateError } from './errors.ts';
import { strftime, templateGlobals, TemplateRaise } from './globals.ts';
import {
  mergeSystemIntoUser,
  normalizeMessages,
  templateTools,
  type ChatMessage,
  type TemplateMessage,
  type ToolDef,
} from './messages.ts';

export interface RenderOptions {
  messages: ChatMessage[];
  /** Append the assistant-turn header so the model answers next. Default true. */
  addGenerationPrompt?: boolean;
  tools?: ToolDef[];
  /** Override the BOS / EOS strings taken from the model's vocabulary. */
  bosToken?: string;
  eosToken?: string;
  /** More template variables, e.g. { enable_thinking: false }. They win over ours. */
  extra?: Record<string, unknown>;
  /** The clock behind date_string and strftime_now. Default: now. */
  now?: Date;
}

/** Marker used to find out whether a template shows a system message. */
const SYSTEM_PROBE = 'tabserve-system-probe-5b1e';

export class ChatTemplate {
  readonly source: string;
  /** True when the model had no template and ChatML (the built-in test vocabulary's) stands in. */
  readonly isFallback: boolean;
  readonly bosToken: string;
  readonly eosToken: string;
  private readonly template: Template;
  /** Templates that name the OpenAI `developer` role get it as is; others get `system`. */
  private readonly knowsDeveloper: boolean;
  private systemRole: boolean | undefined;

  /** Parses the source now, so a broken template fails at model load rather than on the first request. */
  constructor(source: string, o: { bos?: string; eos?: string; isFallback?: boolean } = {}) {
    this.source = source;
    this.isFallback = o.isFallback ?? false;
    this.bosToken = o.bos ?? '';
    this.eosToken = o.eos ?? '';
    this.knowsDeveloper = /["']developer["']/.test(source);
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new TemplateError('syntax', errorText(e), undefined, { cause: e });
    }
  }

  /**
   * The model's template, with BOS/EOS strings looked up in its vocabulary unless given. `name` picks
   * a named variant (`tokenizer.chat_template.<name>`, e.g. `tool_use` in Command-R and Hermes GGUFs)
   * when the file has it, else the default. A model without a template gets ChatML
   * (`<|im_start|>role\ncontent<|im_end|>\n`), as llama.cpp does; `isFallback` tells the caller, since
   * ChatML's markers may not be special tokens in that model's vocabulary.
   */
  static fromMetadata(
    metadata: Record<string, MetaEntry>,
    o: { bos?: string; eos?: string; name?: string } = {},
  ): ChatTemplate {
    const bos = o.bos ?? tokenText(metadata, 'tokenizer.ggml.bos_token_id');
    const eos = o.eos ?? tokenText(metadata, 'tokenizer.ggml.eos_token_id');
    const named = o.name === undefined ? undefined : metadata[`tokenizer.chat_template.${o.name}`]?.value;
    const source = isText(named) ? named : metadata['tokenizer.chat_template']?.value;
    if (isText(source)) return new ChatTemplate(source, { bos, eos });
    return new ChatTemplate(BUILTIN_CHAT_TEMPLATE, { bos, eos, isFallback: true });
  }

  /**
   * The prompt text for a conversation. Throws TemplateError: `raise` when the template rejects the
   * conversation, `render` when it fails otherwise, `input` for a message we cannot pass on; each
   * with the index of the first message that triggers it when one does.
   */
  render(o: RenderOptions): string {
    const attempt = (messages: readonly ChatMessage[], nullAsEmpty: boolean): string =>
      this.renderRaw(o, this.prepare(messages, nullAsEmpty));
    // transformers passes OpenAI's null content through and some templates cannot take it (Qwen3
    // tests `'</think>' in message.content`); llama.cpp then sends '' instead, and so do we.
    const variants = o.messages.some((m) => m.content === null) ? [false, true] : [false];
    let failure: unknown;
    for (const nullAsEmpty of variants) {
      try {
        return attempt(o.messages, nullAsEmpty);
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        failure = e;
      }
    }
    throw this.wrap(failure, o.messages, attempt, variants.length > 1);
  }

  /**
   * Whether the template shows a system message. When it does not (it raises, like Gemma 2, or
   * drops it), render() prepends system text to the next user message instead of failing.
   */
  get supportsSystemRole(): boolean {
    if (this.systemRole === undefined) {
      try {
        const out = this.renderRaw({}, [
          { role: 'system', content: SYSTEM_PROBE },
          { role: 'user', content: 'hi' },
        ]);
        this.systemRole = out.includes(SYSTEM_PROBE);
      } catch (e) {
        // A raise is the template refusing the role; any other failure says nothing about it.
        this.systemRole = !(e instanceof TemplateRaise);
      }
    }
    return this.systemRole;
  }

  private prepare(messages: readonly ChatMessage[], nullAsEmpty: boolean): TemplateMessage[] {
    let out = normalizeMessages(messages, { keepDeveloper: this.knowsDeveloper });
    if (nullAsEmpty) out = out.map((m) => (m.content === null ? { ...m, content: '' } : m));
    if (out.some((m) => m.role === 'system') && !this.supportsSystemRole) out = mergeSystemIntoUser(out);
    return out;
  }

  /** One run of the template; engine errors and raises propagate unwrapped. */
  private renderRaw(o: Omit<RenderOptions, 'messages'>, messages: TemplateMessage[]): string {
    const now = o.now ?? new Date();
    const vars: Record<string, unknown> = {
      messages,
      add_generation_prompt: o.addGenerationPrompt ?? true,
      bos_token: o.bosToken ?? this.bosToken,
      eos_token: o.eosToken ?? this.eosToken,
      tools: templateTools(o.tools),
      date_string: strftime(now, '%d %b %Y'),
      ...o.extra,
    };
    // Our globals live in a parent scope, so the variables above may shadow them without a clash.
    const env = new Environment(templateGlobals(now));
    for (const [name, value] of Object.entries(vars)) env.set(name, value);
    const result = new Interpreter(env).run(this.template.parsed).value;
    if (typeof result !== 'string') throw new Error(`template produced ${typeof result}, not text`);
    return result;
  }

  /**
   * Turns an engine error into a TemplateError that names the first message triggering it: the
   * shortest prefix of the conversation that fails with the same words. A prefix failing for another
   * reason (many templates cannot render an empty list) does not count.
   */
  private wrap(
    e: unknown,
    messages: readonly ChatMessage[],
    attempt: (m: readonly ChatMessage[], nullAsEmpty: boolean) => string,
    nullAsEmpty: boolean,
  ): TemplateError {
    const kind = e instanceof TemplateRaise ? 'raise' : 'render';
    const detail = errorText(e);
    const failsSame = (n: number): boolean => {
      try {
        attempt(messages.slice(0, n), nullAsEmpty);
        return false;
      } catch (p) {
        return !(p instanceof TemplateError) && errorText(p) === detail;
      }
    };
    let index: number | undefined;
    if (!failsSame(0)) {
      for (let n = 1; n <= messages.length && index === undefined; n++) if (failsSame(n)) index = n - 1;
    }
    return new TemplateError(kind, detail, index, { cause: e });
  }
}

/**
 * What add_generation_prompt appends (e.g. `<|im_start|>assistant\n`), found by rendering a one-user
 * conversation with and without it. Templates that end a closed conversation with EOS when not
 * prompting (Phi-3.5) are allowed for; otherwise the text after the longest common prefix is returned,
 * which for an unusual template may be a partial marker.
 */
export function generationPrompt(
  template: ChatTemplate,
  o: Omit<RenderOptions, 'messages' | 'addGenerationPrompt'> & { messages?: ChatMessage[] } = {},
): string {
  const base = { ...o, messages: o.messages ?? [{ role: 'user', content: 'Hello' }] } satisfies RenderOptions;
  const withPrompt = template.render({ ...base, addGenerationPrompt: true });
  let without = template.render({ ...base, addGenerationPrompt: false });
  const eos = o.eosToken ?? template.eosToken;
  if (!withPrompt.startsWith(without) && eos !== '' && without.endsWith(eos)) without = without.slice(0, -eos.length);
  let common = 0;
  while (common < without.length && withPrompt[common] === without[common]) common++;
  return withPrompt.slice(common);
}

/** The text of the token whose id is stored under `key`, or '' when the vocabulary does not say. */
function tokenText(metadata: Record<string, MetaEntry>, key: string): string {
  const id = metadata[key]?.value;
  const tokens = metadata['tokenizer.ggml.tokens']?.value;
  const i = typeof id === 'bigint' ? Number(id) : id;
  if (typeof i !== 'number' || !Array.isArray(tokens)) return '';
  const text = tokens[i];
  return typeof text === 'string' ? text : '';
}

function isText(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
