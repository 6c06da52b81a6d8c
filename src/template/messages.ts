/**
 * OpenAI chat messages -> the plain objects chat templates were written against (the shape Hugging
 * Face transformers passes to Jinja).
 */
import { TemplateError } from './errors.ts';

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  content: string | null | TextPart[];
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface ToolDef {
  type: 'function';
  function: { name: string; description?: string; parameters?: object; strict?: boolean };
}

/** What a template sees for one tool call: arguments as an object when they are a JSON object. */
export interface TemplateToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: Record<string, unknown> | string };
}

/**
 * What a template sees for one message. Absent fields are left out, never set to undefined:
 * templates test `'tool_calls' in message` (Llama 3.1), which an undefined-valued key would pass.
 */
export interface TemplateMessage {
  role: string;
  content: string | null;
  name?: string;
  tool_calls?: TemplateToolCall[];
  tool_call_id?: string;
}

export interface NormalizeOptions {
  /** Keep `developer` as is (the template names that role); otherwise it becomes `system`. */
  keepDeveloper: boolean;
}

/** Converts the caller's messages; throws TemplateError('input') naming the offending message. */
export function normalizeMessages(messages: readonly ChatMessage[], o: NormalizeOptions): TemplateMessage[] {
  return messages.map((m, i) => normalizeMessage(m, i, o));
}

function normalizeMessage(m: ChatMessage, index: number, o: NormalizeOptions): TemplateMessage {
  const role = m.role === 'developer' && !o.keepDeveloper ? 'system' : m.role;
  const hasCalls = m.role === 'assistant' && m.tool_calls !== undefined && m.tool_calls.length > 0;
  let content = contentText(m.content, index);
  // A tool-calling assistant turn usually has no text; templates (Qwen, Hermes) test `if message.content`
  // and some check `is none`, as transformers passes OpenAI's null through. Everywhere else an absent text
  // becomes '' so that templates which concatenate `'...' + message.content` still render.
  if (content === null && !hasCalls) content = '';
  const out: TemplateMessage = { role, content };
  if (m.name !== undefined) out.name = m.name;
  if (hasCalls) out.tool_calls = m.tool_calls!.map(templateToolCall);
  if (m.tool_call_id !== undefined) out.tool_call_id = m.tool_call_id;
  return out;
}

/**
 * Text parts are joined with '\n', as vLLM does for text-only templates: OpenAI clients split long
 * prompts into parts, and a newline keeps their words apart.
 */
function contentText(content: ChatMessage['content'] | undefined, index: number): string | null {
  if (content === null || content === undefined) return null;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new TemplateError('input', 'content must be a string, null or an array of parts', index);
  return content.map((part) => {
    if (part?.type !== 'text' || typeof part.text !== 'string') {
      const type = typeof part?.type === 'string' ? part.type : typeof part;
      throw new TemplateError('input', `content part of type '${type}' is not supported (text only)`, index);
    }
    return part.text;
  }).join('\n');
}

/**
 * OpenAI sends arguments as a JSON string; transformers-era templates expect a mapping and apply
 * `| tojson` (Qwen2.5, Llama 3.1), which would quote a string a second time. Templates that accept
 * both test `is string`. So valid JSON objects are parsed; anything else is passed as written.
 */
function templateToolCall(call: ToolCall): TemplateToolCall {
  const raw = call.function.arguments;
  let args: Record<string, unknown> | string = raw;
  if (raw.trim() === '') args = {};
  else {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) args = parsed as Record<string, unknown>;
    } catch {
      // not JSON: the model produced it, the template shows it verbatim
    }
  }
  return { id: call.id, type: 'function', function: { name: call.function.name, arguments: args } };
}

/**
 * For templates that reject or drop the system role (Gemma 2 raises "System role not supported"):
 * each run of system messages is prepended to the next user message, separated by a blank line.
 * A system message with no user message after it is left in place for the template to judge.
 */
export function mergeSystemIntoUser(messages: readonly TemplateMessage[]): TemplateMessage[] {
  const out: TemplateMessage[] = [];
  let pending: string[] = [];
  let pendingMessages: TemplateMessage[] = [];
  for (const m of messages) {
    if (m.role === 'system') {
      pending.push(m.content ?? '');
      pendingMessages.push(m);
      continue;
    }
    if (m.role === 'user' && pending.length > 0) {
      out.push({ ...m, content: [...pending, m.content ?? ''].join('\n\n') });
    } else {
      out.push(...pendingMessages, m);
    }
    pending = [];
    pendingMessages = [];
  }
  out.push(...pendingMessages);
  return out;
}

/**
 * Tools as the template sees them: a plain JSON copy, so that fields left undefined by the caller
 * (e.g. `strict`) vanish instead of printing as `null` through `| tojson`.
 */
export function templateTools(tools: readonly ToolDef[] | undefined): unknown[] | null {
  if (!tools || tools.length === 0) return null;
  return JSON.parse(JSON.stringify(tools)) as unknown[];
}
