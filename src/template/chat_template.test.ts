// ChatTemplate behaviour: errors, the ChatML fallback, metadata lookups, roles and content shapes.
import { describe, expect, it } from 'vitest';
import { openGgufFile } from '../gguf/node_file.ts';
import { meta } from '../gguf/writer.ts';
import { BUILTIN_CHAT_TEMPLATE, builtinVocab } from '../model/builtin_vocab.ts';
import { vocabFile } from '../testing/paths.ts';
import { ChatTemplate } from './chat_template.ts';
import { TemplateError } from './errors.ts';
import type { ChatMessage } from './messages.ts';
import { loadTemplate, NOW, STANDARD } from './testing.ts';

/** Runs fn and returns the TemplateError it throws (failing the test if it throws anything else). */
function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

describe('errors', () => {
  it('a raise_exception names the template message and the first offending message', () => {
    const gemma = loadTemplate('google-gemma-2-2b-it.jinja', { bos: '<bos>' });
    const e = templateError(() => gemma.render({ messages: [user('a'), assistant('b'), user('c'), user('d')] }));
    expect(e.kind).toBe('raise');
    expect(e.messageIndex).toBe(3);
    expect(e.detail).toBe('Conversation roles must alternate user/assistant/user/assistant/...');
    expect(e.message).toBe(
      'chat template rejected the conversation (messages[3]): Conversation roles must alternate user/assistant/user/assistant/...',
    );
  });

  it('indexes the caller\'s messages even when a system message was merged away', () => {
    const gemma = loadTemplate('google-gemma-2-2b-it.jinja');
    const e = templateError(() => gemma.render({ messages: [...STANDARD, assistant('x'), assistant('y')] }));
    expect(e.messageIndex).toBe(5);
  });

  it('Mistral rejects a tool call id that is not 9 characters, at that message', () => {
    const nemo = loadTemplate('mistralai-Mistral-Nemo-Instruct-2407.jinja');
    const e = templateError(() => nemo.render({
      messages: [
        user('Weather?'),
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
      ],
    }));
    expect([e.kind, e.messageIndex, e.detail]).toEqual(['raise', 1, 'Tool call IDs should be alphanumeric strings with length 9!']);
  });

  it('a template that does not parse fails at construction, also through fromMetadata', () => {
    const broken = '{% for m in messages %}{{ m.content }}';
    expect(templateError(() => new ChatTemplate(broken)).kind).toBe('syntax');
    const e = templateError(() => ChatTemplate.fromMetadata({ 'tokenizer.chat_template': meta.str('{{ messages[0] ') }));
    expect(e.kind).toBe('syntax');
    expect(e.messageIndex).toBeUndefined();
  });

  it('an engine failure while rendering is a render error at the message that triggers it', () => {
    const t = new ChatTemplate("{% for m in messages %}{% if m.role == 'tool' %}{{ m.content | frobnicate }}{% endif %}{% endfor %}");
    const e = templateError(() => t.render({ messages: [user('a'), { role: 'tool', content: 'r', tool_call_id: 'x' }] }));
    expect(e.kind).toBe('render');
    expect(e.messageIndex).toBe(1);
    expect(e.detail).toContain('frobnicate');
  });

  it('an error that no single message causes carries no index', () => {
    const t = loadTemplate('NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja'); // loops over `tools`
    const e = templateError(() => t.render({ messages: STANDARD }));
    expect(e.kind).toBe('render');
    expect(e.messageIndex).toBeUndefined();
  });

  it('a non-text content part is an input error naming the message', () => {
    const t = new ChatTemplate(BUILTIN_CHAT_TEMPLATE);
    const image = [{ type: 'image_url', image_url: { url: 'x' } }] as unknown as ChatMessage['content'];
    const e = templateError(() => t.render({ messages: [user('a'), { role: 'user', content: image }] }));
    expect([e.kind, e.messageIndex]).toEqual(['input', 1]);
  });
});

describe('fallback and metadata', () => {
  const chatml =
    '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n' +
    '<|im_start|>assistant\nHi there.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n';

  it('a model without a template gets ChatML, the built-in vocabulary\'s format', () => {
    const fallback = ChatTemplate.fromMetadata({});
    expect(fallback.isFallback).toBe(true);
    expect(fallback.source).toBe(BUILTIN_CHAT_TEMPLATE);
    expect(fallback.render({ messages: STANDARD })).toBe(chatml);
    const builtin = ChatTemplate.fromMetadata(builtinVocab());
    expect(builtin.isFallback).toBe(false);
    expect(builtin.render({ messages: STANDARD })).toBe(chatml);
    expect([builtin.bosToken, builtin.eosToken]).toEqual(['<s>', '</s>']);
  });

  it('picks a named variant when asked and the file has it', () => {
    const md = { 'tokenizer.chat_template': meta.str('default'), 'tokenizer.chat_template.tool_use': meta.str('tools') };
    expect(ChatTemplate.fromMetadata(md, { name: 'tool_use' }).source).toBe('tools');
    expect(ChatTemplate.fromMetadata(md, { name: 'rag' }).source).toBe('default');
    expect(ChatTemplate.fromMetadata(md).source).toBe('default');
  });

  it('reads a real GGUF (Phi-3 vocabulary): BOS/EOS from the vocabulary, dropped system text merged', async () => {
    const file = await openGgufFile(vocabFile('phi-3'));
    const t = ChatTemplate.fromMetadata(file.metadata);
    expect([t.bosToken, t.eosToken, t.isFallback]).toEqual(['<s>', '<|endoftext|>', false]);
    // This template prints only user and assistant turns, so the system text would vanish silently.
    expect(t.supportsSystemRole).toBe(false);
    expect(t.render({ messages: STANDARD })).toBe(
      '<s><|user|>\nYou are a helpful assistant.\n\nHello!<|end|>\n<|assistant|>\nHi there.<|end|>\n' +
        '<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n',
    );
  });
});

describe('messages', () => {
  const chatml = new ChatTemplate(BUILTIN_CHAT_TEMPLATE);
  const roles = new ChatTemplate("{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}");
  const knowsDeveloper = new ChatTemplate(
    "{% for m in messages %}{% if m.role == 'developer' %}D{% else %}{{ m.role }}{% endif %}:{{ m.content }};{% endfor %}",
  );

  it('maps developer to system unless the template names the developer role', () => {
    const messages: ChatMessage[] = [{ role: 'developer', content: 'Be brief.' }, user('Hi')];
    expect(roles.render({ messages })).toBe('system:Be brief.;user:Hi;');
    expect(knowsDeveloper.render({ messages })).toBe('D:Be brief.;user:Hi;');
    expect(loadTemplate('Qwen-Qwen2.5-7B-Instruct.jinja').render({ messages })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('joins text parts with a newline and turns absent text into ""', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'world' }] },
      { role: 'assistant', content: null },
    ];
    expect(chatml.render({ messages, addGenerationPrompt: false })).toBe(
      '<|im_start|>user\nHello\nworld<|im_end|>\n<|im_start|>assistant\n<|im_end|>\n',
    );
  });

  it('passes tool-call fields as templates read them: arguments parsed, null content kept, no undefined keys', () => {
    const probe = new ChatTemplate(
      "{% for m in messages %}{{ m.role }}|{{ m.content is none }}|{{ 'tool_calls' in m }}|" +
        "{% for c in m.tool_calls or [] %}{{ c.id }}:{{ c.function.arguments | tojson }}/{% endfor %}{{ m.tool_call_id }};{% endfor %}",
    );
    const out = probe.render({
      messages: [
        user('q'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":[1,2]}' } },
            { id: 'b', type: 'function', function: { name: 'g', arguments: '' } },
            { id: 'c', type: 'function', function: { name: 'h', arguments: 'not json' } },
          ],
        },
        { role: 'tool', tool_call_id: 'a', content: 'r' },
      ],
    });
    expect(out).toBe(
      'user|false|false|;' +
        'assistant|true|true|a:{"x": [1, 2]}/b:{}/c:"not json"/;' +
        'tool|false|false|a;',
    );
  });

  it('passes tools as null when there are none, and drops undefined tool fields', () => {
    const probe = new ChatTemplate('{{ tools is none }}|{{ tools | tojson }}');
    expect(probe.render({ messages: [] })).toBe('true|null');
    expect(probe.render({ messages: [], tools: [] })).toBe('true|null');
    const tool = { type: 'function' as const, function: { name: 'f', strict: undefined } };
    expect(probe.render({ messages: [], tools: [tool] })).toBe('false|[{"type": "function", "function": {"name": "f"}}]');
  });
});

describe('globals', () => {
  it('strftime_now reads the given clock with English names; range and extra variables work', () => {
    const t = new ChatTemplate(
      "{{ strftime_now('%Y-%m-%d|%d %b %Y|%B %d, %Y|%A %H:%M') }}|{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}|{{ mode }}",
    );
    expect(t.render({ messages: [], now: NOW, extra: { mode: 'x' } })).toBe('2025-01-15|15 Jan 2025|January 15, 2025|Wednesday 12:00|135|x');
  });
});
