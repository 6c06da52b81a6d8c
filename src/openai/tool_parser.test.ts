import { describe, expect, test } from 'vitest';
import { ToolCallParser, type ToolEvent, type ToolSyntax } from './tool_parser.ts';

interface Parsed {
  content: string;
  calls: { id: string; name: string; arguments: string }[];
  events: ToolEvent[];
}

/** Feeds `text` in pieces of `size` characters and assembles the events as a client would. */
function parse(syntax: ToolSyntax, text: string, size: number): Parsed {
  let n = 0;
  const p = new ToolCallParser(syntax, () => `call_${n++}`);
  const events: ToolEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...p.push(text.slice(i, i + size)));
  events.push(...p.end());
  const out: Parsed = { content: '', calls: [], events };
  for (const e of events) {
    if (e.kind === 'content') out.content += e.text;
    else if (e.kind === 'call') {
      expect(e.index).toBe(out.calls.length); // indexes in order, each call announced once
      out.calls.push({ id: e.id, name: e.name, arguments: '' });
    } else {
      expect(out.calls[e.index], 'arguments before their call').toBeDefined();
      out.calls[e.index].arguments += e.text;
    }
  }
  return out;
}

const CASES: { syntax: ToolSyntax; text: string; content: string; calls: [string, unknown][] }[] = [
  {
    syntax: 'hermes',
    text: 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2], "note": "a } \\" {"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>',
    content: 'Let me check.\n',
    calls: [['get_weather', { city: 'Paris', days: [1, 2], note: 'a } " {' }], ['get_time', {}]],
  },
  { syntax: 'hermes', text: 'Just text, a < sign and <tool', content: 'Just text, a < sign and <tool', calls: [] },
  { syntax: 'hermes', text: '<tool_call>{"arguments": {"x": 1}, "name": "f"}</tool_call>', content: '', calls: [['f', { x: 1 }]] },
  { syntax: 'hermes', text: '<tool_call>{"name": "f", "arguments": "{\\"x\\": 2}"}</tool_call>', content: '', calls: [['f', { x: 2 }]] },
  { syntax: 'hermes', text: '<tool_call>{"name": "f"}</tool_call>', content: '', calls: [['f', {}]] },
  { syntax: 'llama3', text: '{"name": "search", "parameters": {"q": "cats", "n": 3}}', content: '', calls: [['search', { q: 'cats', n: 3 }]] },
  { syntax: 'llama3', text: ' {"name": "a", "parameters": {}}; {"name": "b", "parameters": {"k": true}}', content: '', calls: [['a', {}], ['b', { k: true }]] },
  { syntax: 'llama3', text: 'The answer is {"not": "a call"}', content: 'The answer is {"not": "a call"}', calls: [] },
  { syntax: 'llama3', text: '{"answer": 42}', content: '{"answer": 42}', calls: [] },
  { syntax: 'mistral', text: '[TOOL_CALLS][{"name": "f", "arguments": {"a": [1, {"b": 2}]}}, {"name": "g", "arguments": {}}]', content: '', calls: [['f', { a: [1, { b: 2 }] }], ['g', {}]] },
  { syntax: 'mistral', text: '[{"name": "f", "arguments": {"a": 1}}]', content: '', calls: [['f', { a: 1 }]] },
];

describe('tool call parsing', () => {
  for (const c of CASES) {
    test(`${c.syntax}: ${c.text.slice(0, 50)}`, () => {
      for (const size of [1, 2, 3, 7, 1000]) {
        const r = parse(c.syntax, c.text, size);
        expect(r.content, `size ${size}`).toBe(c.content);
        expect(r.calls.map((x) => [x.name, JSON.parse(x.arguments)]), `size ${size}`).toEqual(c.calls);
        expect(new Set(r.calls.map((x) => x.id)).size).toBe(r.calls.length);
      }
    });
  }

  test('arguments stream: fragments go out as the model writes them, not at the end', () => {
    const p = new ToolCallParser('hermes');
    const text = '<tool_call>\n{"name": "f", "arguments": {"text": "a long argument value"}}\n</tool_call>';
    const perPush = [...text].map((ch) => p.push(ch));
    const firstArgs = perPush.findIndex((evs) => evs.some((e) => e.kind === 'arguments'));
    const callAt = perPush.findIndex((evs) => evs.some((e) => e.kind === 'call'));
    expect(callAt).toBeGreaterThan(0);
    expect(firstArgs).toBeGreaterThanOrEqual(callAt);
    expect(firstArgs).toBeLessThan(text.indexOf('long')); // before the value is complete
  });

  test('an unfinished call (cut by max_tokens) keeps what was given; a nameless one comes back as content', () => {
    const cut = parse('hermes', '<tool_call>{"name": "f", "arguments": {"a": ', 4);
    expect(cut.calls).toEqual([{ id: 'call_0', name: 'f', arguments: '{"a": ' }]);
    expect(parse('llama3', '{"nam', 2).content).toBe('{"nam');
  });
});
