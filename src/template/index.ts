/** Chat templates: OpenAI messages -> a model's prompt text. */
export { ChatTemplate, generationPrompt, type RenderOptions } from './chat_template.ts';
export { TemplateError, type TemplateErrorKind } from './errors.ts';
export type { ChatMessage, ChatRole, TextPart, ToolCall, ToolDef } from './messages.ts';
