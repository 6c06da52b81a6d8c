// Exact prompts for the templates of the models users load most. Each expected string was worked out
// by reading the template's logic (noted beside it), not copied from our renderer's output.
import { describe, expect, it } from 'vitest';
import { generationPrompt } from './chat_template.ts';
import type { ChatMessage } from './messages.ts';
import { loadTemplate, NOW, STANDARD, WEATHER_TOOL } from './testing.ts';

const CHATML_STANDARD =
  '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
  '<|im_start|>user\nHello!<|im_end|>\n' +
  '<|im_start|>assistant\nHi there.<|im_end|>\n' +
  '<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
  '<|im_start|>assistant\n';

describe('Llama 3.1', () => {
  const t = loadTemplate('meta-llama-Llama-3.1-8B-Instruct.jinja', { bos: '<|begin_of_text|>', eos: '<|eot_id|>' });
  // BOS, then a system header holding the knowledge/date lines and the trimmed system text; each turn is
  // a header plus trimmed content plus <|eot_id|>; the prompt opens an assistant header.
  it('renders the standard conversation with the date taken from the clock (date_string)', () => {
    expect(t.render({ messages: STANDARD, now: NOW })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n' +
        'Cutting Knowledge Date: December 2023\n' +
        'Today Date: 15 Jan 2025\n\n' +
        'You are a helpful assistant.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });
  it('lets extra variables override ours', () => {
    expect(t.render({ messages: STANDARD, extra: { date_string: '26 Jul 2024' } })).toContain('Today Date: 26 Jul 2024\n\n');
  });
});

describe('Qwen2.5', () => {
  const t = loadTemplate('Qwen-Qwen2.5-7B-Instruct.jinja', { eos: '<|im_end|>' });
  // ChatML; the first system message is printed up front and skipped in the loop.
  it('renders the standard conversation', () => {
    expect(t.render({ messages: STANDARD })).toBe(CHATML_STANDARD);
  });
  it('supplies its default system prompt when there is none', () => {
    expect(t.render({ messages: [{ role: 'user', content: 'Hi' }] })).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('round-trips a Hermes-style tool conversation (two calls, two results)', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Weather in Paris and London?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city": "London"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c": 18}' },
      { role: 'tool', tool_call_id: 'call_2', content: '{"temp_c": 12}' },
    ];
    // `tool | tojson` prints Python-style JSON (", " and ": "); arguments are parsed and re-printed the
    // same way, so the compact '{"city":"Paris"}' comes out as {"city": "Paris"}. Consecutive tool
    // results share one user turn.
    expect(t.render({ messages, tools: [WEATHER_TOOL] })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.\n\n# Tools\n\n' +
        'You may call one or more functions to assist with the user query.\n\n' +
        'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
        '{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city", ' +
        '"parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, ' +
        '"required": ["city"]}}}\n</tools>\n\n' +
        'For each function call, return a json object with function name and arguments within ' +
        '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n' +
        '</tool_call><|im_end|>\n' +
        '<|im_start|>user\nWeather in Paris and London?<|im_end|>\n' +
        '<|im_start|>assistant\n' +
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n' +
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "London"}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n{"temp_c": 18}\n</tool_response>\n' +
        '<tool_response>\n{"temp_c": 12}\n</tool_response><|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });
});

describe('Qwen3', () => {
  const t = loadTemplate('Qwen-Qwen3-0.6B.jinja', { eos: '<|im_end|>' });
  it('renders the standard conversation like Qwen2.5 (assistant turns before the last query keep no reasoning)', () => {
    expect(t.render({ messages: STANDARD })).toBe(CHATML_STANDARD);
  });
  it('closes an empty think block when enable_thinking is false', () => {
    expect(t.render({ messages: STANDARD, extra: { enable_thinking: false } })).toBe(
      CHATML_STANDARD + '<think>\n\n</think>\n\n',
    );
  });
  it('drops old reasoning and keeps the reasoning of the turn after the last query', () => {
    const reply = '<think>\nLet me greet.\n</think>\n\nHi there.';
    // Before the last user message: only the text after </think> survives.
    expect(t.render({
      messages: [{ role: 'user', content: 'Hello!' }, { role: 'assistant', content: reply }, { role: 'user', content: 'Bye' }],
    })).toBe(
      '<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there.<|im_end|>\n' +
        '<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n',
    );
    // The last turn: reasoning re-wrapped as '<think>\n' + strip + '\n</think>\n\n' + content.
    expect(t.render({ messages: [{ role: 'user', content: 'Hello!' }, { role: 'assistant', content: reply }], addGenerationPrompt: false }))
      .toBe('<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n<think>\nLet me greet.\n</think>\n\nHi there.<|im_end|>\n');
  });
  it("renders a tool call whose content is null (the template tests `'</think>' in content`: '' is sent instead)", () => {
    const out = t.render({
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'a', content: '{"temp_c": 18}' },
      ],
    });
    expect(out.slice(out.indexOf('<|im_start|>user'))).toBe(
      '<|im_start|>user\nWeather in Paris?<|im_end|>\n' +
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n{"temp_c": 18}\n</tool_response><|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });
});

describe('SmolLM3', () => {
  const t = loadTemplate('HuggingFaceTB-SmolLM3-3B.jinja', { eos: '<|im_end|>' });
  const header = (mode: string) =>
    '<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: ' + mode + '\n\n' +
    '## Custom Instructions\n\nYou are a helpful assistant.\n\n<|im_end|>\n';
  // The system text becomes "Custom Instructions" in a metadata header; system messages are not repeated.
  it('renders the standard conversation (thinking on by default)', () => {
    expect(t.render({ messages: STANDARD })).toBe(
      header('/think') +
        '<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\nHi there.<|im_end|>\n' +
        '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
    );
  });
  it('adds empty think blocks with enable_thinking false', () => {
    expect(t.render({ messages: STANDARD, extra: { enable_thinking: false } })).toBe(
      header('/no_think') +
        '<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\nHi there.<|im_end|>\n' +
        '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n',
    );
  });
});

describe('Phi-3.5', () => {
  const t = loadTemplate('microsoft-Phi-3.5-mini-instruct.jinja', { eos: '<|endoftext|>' });
  // '<|role|>\n' + content + '<|end|>\n' per message; no BOS; EOS instead of a prompt when not prompting.
  const turns = '<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello!<|end|>\n' +
    '<|assistant|>\nHi there.<|end|>\n<|user|>\nWhat is 2+2?<|end|>\n';
  it('renders the standard conversation', () => {
    expect(t.render({ messages: STANDARD })).toBe(turns + '<|assistant|>\n');
    expect(t.render({ messages: STANDARD, addGenerationPrompt: false })).toBe(turns + '<|endoftext|>');
  });
  it('has "<|assistant|>\\n" as its generation prompt despite the EOS', () => {
    expect(generationPrompt(t)).toBe('<|assistant|>\n');
  });
});

describe('Mistral', () => {
  it('Nemo puts the system text into the last user message', () => {
    const t = loadTemplate('mistralai-Mistral-Nemo-Instruct-2407.jinja', { bos: '<s>', eos: '</s>' });
    expect(t.render({ messages: STANDARD })).toBe(
      '<s>[INST]Hello![/INST]Hi there.</s>[INST]You are a helpful assistant.\n\nWhat is 2+2?[/INST]',
    );
    expect(generationPrompt(t)).toBe(''); // [/INST] closes the user turn; nothing else is added
  });
  it('Small 3.2 has a system-prompt block, and a dated default prompt from strftime_now', () => {
    const t = loadTemplate('Mistral-Small-3.2-24B-Instruct-2506.jinja', { bos: '<s>', eos: '</s>' });
    expect(t.render({ messages: STANDARD })).toBe(
      '<s>[SYSTEM_PROMPT]You are a helpful assistant.[/SYSTEM_PROMPT][INST]Hello![/INST]Hi there.</s>[INST]What is 2+2?[/INST]',
    );
    expect(t.render({ messages: STANDARD.slice(1), now: NOW })).toContain('The current date is 2025-01-15.');
  });
});

describe('Gemma 2 (no system role)', () => {
  const t = loadTemplate('google-gemma-2-2b-it.jinja', { bos: '<bos>', eos: '<eos>' });
  it('gets the system text prepended to the first user message instead of raising', () => {
    expect(t.supportsSystemRole).toBe(false);
    expect(t.render({ messages: STANDARD })).toBe(
      '<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHello!<end_of_turn>\n' +
        '<start_of_turn>model\nHi there.<end_of_turn>\n' +
        '<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n',
    );
  });
});

describe('generationPrompt', () => {
  it('finds what add_generation_prompt appends', () => {
    const llama = loadTemplate('meta-llama-Llama-3.1-8B-Instruct.jinja', { bos: '<|begin_of_text|>' });
    expect(generationPrompt(llama)).toBe('<|start_header_id|>assistant<|end_header_id|>\n\n');
    expect(generationPrompt(loadTemplate('Qwen-Qwen2.5-7B-Instruct.jinja'))).toBe('<|im_start|>assistant\n');
    const qwen3 = loadTemplate('Qwen-Qwen3-0.6B.jinja');
    expect(generationPrompt(qwen3, { extra: { enable_thinking: false } })).toBe('<|im_start|>assistant\n<think>\n\n</think>\n\n');
  });
});
