/** Shared inputs for the template tests: llama.cpp's real chat templates and one standard conversation. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LLAMA_MODELS } from '../testing/paths.ts';
import { ChatTemplate } from './chat_template.ts';
import type { ChatMessage, ToolDef } from './messages.ts';

export const TEMPLATES_DIR = join(LLAMA_MODELS, 'templates');

/** File names of every `.jinja` template llama.cpp ships, sorted. */
export function templateFiles(): string[] {
  if (!existsSync(TEMPLATES_DIR)) throw new Error(`${TEMPLATES_DIR} is missing: run \`npm run setup\``);
  return readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.jinja')).sort();
}

export function loadTemplate(file: string, tokens: { bos?: string; eos?: string } = {}): ChatTemplate {
  return new ChatTemplate(readFileSync(join(TEMPLATES_DIR, file), 'utf8'), tokens);
}

/** A fixed clock (local time, as strftime reads it) so date lines in prompts are reproducible. */
export const NOW = new Date(2025, 0, 15, 12, 0, 0);

/** system, user, assistant, user: the shape most chat requests have. */
export const STANDARD: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Hello!' },
  { role: 'assistant', content: 'Hi there.' },
  { role: 'user', content: 'What is 2+2?' },
];

export const WEATHER_TOOL: ToolDef = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a city',
    parameters: {
      type: 'object',
      // Hermes-style templates print each parameter's description (`| trim`), so the tool gives one.
      properties: { city: { type: 'string', description: 'City name' } },
      required: ['city'],
    },
  },
};

/** user asks, assistant calls the tool (null content, as OpenAI clients send it), tool answers. */
export const TOOL_ROUND_TRIP: ChatMessage[] = [
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: null,
    // 9 alphanumeric characters: Mistral templates reject other ids
    tool_calls: [{ id: 'call12345', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
  },
  { role: 'tool', tool_call_id: 'call12345', content: '{"temp_c": 18}' },
];
