/**
 * POST /v1/chat/completions bodies -> ChatRequest. Field names are the openai SDK's
 * (ChatCompletionCreateParams; the compiler checks the ones read here against it) plus the sampling
 * extensions local servers share (top_k, min_p, repetition_penalty, ...; see src/sampling/params.ts) and
 * vLLM's chat_template_kwargs. Messages are text only. response_format json_object / json_schema and
 * tool_choice "required" / a named function become grammars (src/grammar); every schema is checked here, so
 * a schema that is invalid, or that constrained decoding cannot follow, is a 400 naming its field.
 */
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { ChatMessage, ChatRole, TextPart, ToolCall, ToolDef } from '../template/messages.ts';
import type { GrammarSpec } from '../grammar/grammar.ts';
import { badRequest } from './errors.ts';
import { checkSchema } from './schema_check.ts';
import type { ToolChoice } from './tool_calls.ts';
import { booleanField, commonFields, describe, given, isObject, parseJsonBody, stringField, type Body, type CommonRequest, type RequestContext } from './request.ts';

export interface ChatRequest extends CommonRequest {
  kind: 'chat';
  messages: ChatMessage[];
  tools?: ToolDef[];
  toolChoice: ToolChoice; // default "auto" (tools given) / "none"
  parallelToolCalls: boolean; // default true
  /** response_format json_object / json_schema as a grammar spec; absent for text. */
  format?: Extract<GrammarSpec, { kind: 'json_object' | 'json_schema' }>;
  /** Extra chat template variables (e.g. { enable_thinking: false }). */
  templateVars?: Record<string, unknown>;
}

/** The chat fields read here, by their SDK names: a misspelt name fails to compile. */
type ChatField = keyof ChatCompletionCreateParamsBase | 'chat_template_kwargs';
const field = (body: Body, name: ChatField): unknown => body[name];

const ROLES: readonly ChatRole[] = ['system', 'developer', 'user', 'assistant', 'tool'];

function contentField(v: unknown, at: string, optional: boolean): ChatMessage['content'] {
  if (v === undefined || v === null) {
    if (optional) return null;
    throw badRequest(`${at} is required`, at);
  }
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) throw badRequest(`${at} must be a string or an array of content parts, got ${describe(v)}`, at);
  return v.map((part: unknown, j): TextPart => {
    const p = `${at}[${j}]`;
    if (!isObject(part)) throw badRequest(`${p} must be an object, got ${describe(part)}`, p);
    if (part.type !== 'text') {
      const type = typeof part.type === 'string' ? `'${part.type}'` : describe(part.type);
      throw badRequest(`${p}.type ${type} is not supported: this server takes text content parts only`, `${p}.type`);
    }
    if (typeof part.text !== 'string') throw badRequest(`${p}.text must be a string, got ${describe(part.text)}`, `${p}.text`);
    return { type: 'text', text: part.text };
  });
}

function toolCalls(v: unknown, at: string): ToolCall[] | undefined {
  if (!given(v)) return undefined;
  if (!Array.isArray(v)) throw badRequest(`${at} must be an array, got ${describe(v)}`, at);
  return v.map((c: unknown, k): ToolCall => {
    const p = `${at}[${k}]`;
    if (!isObject(c)) throw badRequest(`${p} must be an object, got ${describe(c)}`, p);
    if (typeof c.id !== 'string') throw badRequest(`${p}.id must be a string, got ${describe(c.id)}`, `${p}.id`);
    if (given(c.type) && c.type !== 'function') throw badRequest(`${p}.type must be 'function', got ${describe(c.type)}`, `${p}.type`);
    const f = c.function;
    if (!isObject(f)) throw badRequest(`${p}.function must be an object, got ${describe(f)}`, `${p}.function`);
    if (typeof f.name !== 'string') throw badRequest(`${p}.function.name must be a string, got ${describe(f.name)}`, `${p}.function.name`);
    if (typeof f.arguments !== 'string') throw badRequest(`${p}.function.arguments must be a string, got ${describe(f.arguments)}`, `${p}.function.arguments`);
    return { id: c.id, type: 'function', function: { name: f.name, arguments: f.arguments } };
  });
}

function message(m: unknown, i: number): ChatMessage {
  const at = `messages[${i}]`;
  if (!isObject(m)) throw badRequest(`${at} must be an object, got ${describe(m)}`, at);
  const role = m.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw badRequest(`${at}.role must be one of ${ROLES.join(', ')}; got ${describe(role)}`, `${at}.role`);
  }
  const calls = role === 'assistant' ? toolCalls(m.tool_calls, `${at}.tool_calls`) : undefined;
  // An assistant turn may be tool calls alone (content null); every other role must say something.
  const out: ChatMessage = { role: role as ChatRole, content: contentField(m.content, `${at}.content`, role === 'assistant') };
  const name = stringField(m, 'name', `${at}.name`);
  if (name !== undefined) out.name = name;
  if (calls) out.tool_calls = calls;
  const callId = stringField(m, 'tool_call_id', `${at}.tool_call_id`);
  if (callId !== undefined) out.tool_call_id = callId;
  return out;
}

function messages(v: unknown): ChatMessage[] {
  if (!given(v)) throw badRequest('messages is required', 'messages');
  if (!Array.isArray(v)) throw badRequest(`messages must be an array, got ${describe(v)}`, 'messages');
  if (v.length === 0) throw badRequest('messages must contain at least one message', 'messages');
  return v.map(message);
}

function tools(v: unknown): ToolDef[] | undefined {
  if (!given(v)) return undefined;
  if (!Array.isArray(v)) throw badRequest(`tools must be an array, got ${describe(v)}`, 'tools');
  return v.map((t: unknown, i): ToolDef => {
    const at = `tools[${i}]`;
    if (!isObject(t)) throw badRequest(`${at} must be an object, got ${describe(t)}`, at);
    if (t.type !== 'function') throw badRequest(`${at}.type must be 'function', got ${describe(t.type)}`, `${at}.type`);
    const f = t.function;
    if (!isObject(f)) throw badRequest(`${at}.function must be an object, got ${describe(f)}`, `${at}.function`);
    if (typeof f.name !== 'string' || f.name === '') throw badRequest(`${at}.function.name must be a non-empty string, got ${describe(f.name)}`, `${at}.function.name`);
    const fn: ToolDef['function'] = { name: f.name };
    const description = stringField(f, 'description', `${at}.function.description`);
    if (description !== undefined) fn.description = description;
    if (given(f.parameters)) {
      if (!isObject(f.parameters)) throw badRequest(`${at}.function.parameters must be an object, got ${describe(f.parameters)}`, `${at}.function.parameters`);
      checkSchema(f.parameters, `${at}.function.parameters`, `${at}.function.parameters`, false, false);
      fn.parameters = f.parameters;
    }
    const strict = booleanField(f, 'strict', false);
    if (strict) fn.strict = true;
    return { type: 'function', function: fn };
  });
}

function toolChoice(v: unknown, defs: readonly ToolDef[] | undefined): ToolChoice {
  if (!given(v)) return defs ? 'auto' : 'none';
  if (v === 'auto' || v === 'none') return v;
  if (v === 'required' || isObject(v)) {
    if (!defs) throw badRequest(`tool_choice ${v === 'required' ? '"required"' : 'naming a function'} needs tools`, 'tool_choice');
    if (v === 'required') return v;
    const name = isObject(v.function) ? v.function.name : undefined;
    if (v.type !== 'function' || typeof name !== 'string') throw badRequest('tool_choice must be {"type": "function", "function": {"name": ...}}', 'tool_choice');
    if (!defs.some((t) => t.function.name === name)) throw badRequest(`tool_choice names the function '${name}', which is not among the tools`, 'tool_choice');
    return { name };
  }
  throw badRequest(`tool_choice must be "auto", "none", "required" or an object, got ${describe(v)}`, 'tool_choice');
}

function responseFormat(v: unknown): ChatRequest['format'] {
  if (!given(v)) return undefined;
  if (!isObject(v)) throw badRequest(`response_format must be an object, got ${describe(v)}`, 'response_format');
  if (v.type === 'text') return undefined;
  if (v.type === 'json_object') return { kind: 'json_object' };
  if (v.type === 'json_schema') {
    const js = v.json_schema;
    if (!isObject(js)) throw badRequest(`response_format.json_schema must be an object, got ${describe(js)}`, 'response_format');
    if (typeof js.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(js.name)) {
      throw badRequest(`response_format.json_schema.name must be 1-64 letters, digits, '_' or '-', got ${describe(js.name)}`, 'response_format');
    }
    const strict = booleanField(js, 'strict', false);
    if (!given(js.schema)) return { kind: 'json_object' };
    checkSchema(js.schema, 'response_format.json_schema.schema', 'response_format', strict);
    return { kind: 'json_schema', schema: js.schema as object, strict };
  }
  throw badRequest(`response_format.type must be 'text', 'json_object' or 'json_schema', got ${describe(v.type)}`, 'response_format.type');
}

/** Validates a chat completion body (already parsed JSON). Throws ApiError. */
export function parseChatRequest(raw: unknown, ctx: RequestContext): ChatRequest {
  if (!isObject(raw)) throw badRequest(`The request body must be a JSON object, got ${describe(raw)}.`);
  const common = commonFields(raw, ctx, { legacyLogprobs: false });
  const defs = tools(field(raw, 'tools'));
  const some = defs && defs.length > 0 ? defs : undefined;
  const req: ChatRequest = {
    kind: 'chat',
    ...common,
    messages: messages(field(raw, 'messages')),
    toolChoice: toolChoice(field(raw, 'tool_choice'), some),
    parallelToolCalls: booleanField(raw, 'parallel_tool_calls' satisfies ChatField, true),
  };
  if (some) req.tools = some;
  const format = responseFormat(field(raw, 'response_format'));
  if (format) req.format = format;
  if (some && req.toolChoice !== 'none' && (req.toolChoice !== 'auto' || format)) {
    // these calls are constrained: every parameters schema must convert
    some.forEach((t, i) => checkSchema(t.function.parameters ?? { type: 'object' }, `tools[${i}].function.parameters`, `tools[${i}].function.parameters`, t.function.strict === true));
  }
  const kwargs = field(raw, 'chat_template_kwargs');
  if (given(kwargs)) {
    if (!isObject(kwargs)) throw badRequest(`chat_template_kwargs must be an object, got ${describe(kwargs)}`, 'chat_template_kwargs');
    req.templateVars = { ...kwargs };
  }
  return req;
}

/** JSON text -> ChatRequest, or ApiError. */
export const readChatRequest = (text: string, ctx: RequestContext): ChatRequest => parseChatRequest(parseJsonBody(text), ctx);
