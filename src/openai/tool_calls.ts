/**
 * Tools for any model: which syntax its chat template uses for calls, a grammar that makes the model write
 * calls in that syntax with arguments valid for each function's `parameters` (tool_choice "required" or a
 * named function), and, for templates that know nothing of tools, the tools described in a system message
 * with the Hermes syntax (and earlier calls and results written into the conversation the same way).
 */
import type { GrammarSpec } from '../grammar/grammar.ts';
import { EbnfBuilder, literal } from '../grammar/schema_ebnf.ts';
import type { ChatMessage, ToolDef } from '../template/messages.ts';
import type { ChatRequest } from './chat_request.ts';
import type { ToolSyntax } from './tool_parser.ts';

/** tool_choice, validated: a named function is one of the request's tools. */
export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

export interface ToolUse {
  syntax: ToolSyntax;
  /** The template renders tools itself; otherwise withToolPrompt() describes them. */
  native: boolean;
}

/**
 * The syntax a chat template asks for, from the markers it writes: Mistral's [TOOL_CALLS], Hermes/Qwen
 * <tool_call> tags, Llama 3.x's JSON with "parameters" (<|python_tag|> / ipython). A template that renders
 * `tools` in some other way gets the Hermes syntax; one that ignores tools gets it through withToolPrompt.
 */
export function toolUse(templateSource: string): ToolUse {
  if (templateSource.includes('[TOOL_CALLS]')) return { syntax: 'mistral', native: true };
  if (templateSource.includes('<tool_call>')) return { syntax: 'hermes', native: true };
  if (templateSource.includes('<|python_tag|>') || (templateSource.includes('ipython') && templateSource.includes('"parameters"'))) {
    return { syntax: 'llama3', native: true };
  }
  return { syntax: 'hermes', native: /\btools\b/.test(templateSource) };
}

const ARGS_KEY: Record<ToolSyntax, string> = { hermes: 'arguments', llama3: 'parameters', mistral: 'arguments' };

/**
 * EBNF (rule `root`) for one or more calls in `syntax`: for tool_choice "required" any of `tools`, for a
 * named choice that one; `parallel` allows several calls. With `alternative` (a rule name already in `b`),
 * the answer may instead be that rule (tool_choice "auto" with a response_format). Arguments follow each
 * function's parameters schema (strict as the function says; no parameters: any object).
 */
export function toolCallGrammar(b: EbnfBuilder, syntax: ToolSyntax, tools: readonly ToolDef[], choice: 'required' | { name: string }, parallel: boolean, alternative?: string): string {
  const chosen = choice === 'required' ? tools : tools.filter((t) => t.function.name === choice.name);
  const objects = chosen.map((t) => {
    b.strict = t.function.strict === true;
    const params = t.function.parameters ?? { type: 'object' };
    const args = b.value(params, params, `tools.${t.function.name}.parameters`);
    return `${literal(`{"name": ${JSON.stringify(t.function.name)}, "${ARGS_KEY[syntax]}": `)} ${args} "}"`;
  });
  const call = b.rule(objects.join(' | '));
  let calls: string;
  if (syntax === 'hermes') {
    const tagged = b.rule(`"<tool_call>\\n" ${call} "\\n</tool_call>"`);
    calls = parallel ? `${tagged} ("\\n" ${tagged})*` : tagged;
  } else if (syntax === 'llama3') {
    calls = parallel ? `${call} ("; " ${call})*` : call;
  } else {
    calls = `"[TOOL_CALLS][" ${call} ${parallel ? `(", " ${call})* ` : ''}"]"`;
  }
  b.rule(alternative ? `${alternative} | ${calls}` : calls, 'root');
  return b.grammar();
}

/** A call as Hermes writes it. */
const hermesCall = (name: string, args: string): string => `<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": ${args.trim() || '{}'}}\n</tool_call>`;

/**
 * For a template that ignores tools: the tools and how to call them in a system message (merged into the
 * first system message, or a new one first), assistant calls written as Hermes tags in their content and tool
 * results as user turns in <tool_response> tags, so the template's plain roles carry everything.
 */
export function withToolPrompt(messages: readonly ChatMessage[], tools: readonly ToolDef[]): ChatMessage[] {
  const lines = tools.map((t) => JSON.stringify(t));
  const prompt =
    'You can call functions. Their signatures, as JSON, are within <tools></tools>:\n<tools>\n' +
    lines.join('\n') +
    '\n</tools>\nTo call a function, answer with a JSON object holding its name and arguments within <tool_call></tool_call> tags:\n' +
    '<tool_call>\n{"name": <function name>, "arguments": <arguments object>}\n</tool_call>';
  const text = (m: ChatMessage): string => (typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join(''));
  const out: ChatMessage[] = messages.map((m): ChatMessage => {
    if (m.role === 'assistant' && m.tool_calls?.length) {
      const calls = m.tool_calls.map((c) => hermesCall(c.function.name, c.function.arguments)).join('\n');
      return { role: 'assistant', content: [text(m), calls].filter(Boolean).join('\n') };
    }
    if (m.role === 'tool') return { role: 'user', content: `<tool_response>\n${text(m)}\n</tool_response>` };
    return m;
  });
  const first = out[0];
  if (first && (first.role === 'system' || first.role === 'developer')) out[0] = { ...first, content: `${text(first)}\n\n${prompt}` };
  else out.unshift({ role: 'system', content: prompt });
  return out;
}

/**
 * The grammar a chat request decodes under, if any: tool calls for tool_choice "required" or a named
 * function; calls or the response_format for "auto" with a response_format; else the response_format.
 * `syntax` is the model's call syntax when tools are in play (tool_choice not "none").
 */
export function chatGrammar(req: Pick<ChatRequest, 'tools' | 'toolChoice' | 'parallelToolCalls' | 'format'>, syntax: ToolSyntax | undefined): GrammarSpec | undefined {
  const { tools, toolChoice: choice, format } = req;
  if (!syntax || !tools || choice === 'none' || (choice === 'auto' && !format)) return format;
  const b = new EbnfBuilder(format?.kind === 'json_schema' && format.strict);
  let alternative: string | undefined;
  if (choice === 'auto' && format) {
    const schema = format.kind === 'json_schema' ? format.schema : { type: 'object' };
    alternative = b.rule(b.value(schema, schema));
  }
  return { kind: 'ebnf', ebnf: toolCallGrammar(b, syntax, tools, choice === 'auto' ? 'required' : choice, req.parallelToolCalls, alternative) };
}
