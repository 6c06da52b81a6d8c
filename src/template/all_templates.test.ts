// Every chat template llama.cpp ships (70 real models' templates here) against two conversations. Templates
// that cannot render one are listed by name with the reason; a listed template that starts rendering
// (e.g. after an @huggingface/jinja upgrade) fails the test so the list stays true.
import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.ts';
import type { ChatMessage, ToolDef } from './messages.ts';
import { generationPrompt } from './chat_template.ts';
import { loadTemplate, STANDARD, TOOL_ROUND_TRIP, templateFiles, WEATHER_TOOL } from './testing.ts';

/** Tool-use variants: their system block loops over `tools`, so they need at least one tool. */
const NEEDS_TOOLS = 'a tool_use variant: iterates over `tools`, so it needs a tools list (renders with one below)';

const CANNOT_RENDER_STANDARD: Record<string, string> = {
  'CohereForAI-c4ai-command-r-plus-tool_use.jinja': NEEDS_TOOLS,
  'NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja': NEEDS_TOOLS,
  'NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja': NEEDS_TOOLS,
  'meetkai-functionary-medium-v3.1.jinja': NEEDS_TOOLS,
  'fireworks-ai-llama-3-firefunction-v2.jinja':
    'reads its own variables `functions` (JSON text) and `datetime`, which no OpenAI request supplies',
  'ByteDance-Seed-OSS.jinja': 'a dict literal with integer keys ({0: 0, 512: 128, ...}): @huggingface/jinja allows string keys only',
  'tencent-Hy3.jinja': "Python's str.format() ('<think{}>'.format(x)): @huggingface/jinja has no such string method",
};

const CANNOT_RENDER_TOOLS: Record<string, string> = {
  'ByteDance-Seed-OSS.jinja': CANNOT_RENDER_STANDARD['ByteDance-Seed-OSS.jinja'],
  'tencent-Hy3.jinja': CANNOT_RENDER_STANDARD['tencent-Hy3.jinja'],
  'fireworks-ai-llama-3-firefunction-v2.jinja': CANNOT_RENDER_STANDARD['fireworks-ai-llama-3-firefunction-v2.jinja'],
  'google-gemma-2-2b-it.jinja': 'no tool role: raises "roles must alternate" at the tool result',
  'Kimi-K2-Instruct.jinja': 'list.append()/pop() on a tool-call queue: @huggingface/jinja arrays have neither',
  'Kimi-K2-Thinking.jinja': 'list.append()/pop() on a tool-call queue: @huggingface/jinja arrays have neither',
  'openbmb-MiniCPM5-1B.jinja': 'the `min` filter on a list: missing from @huggingface/jinja',
  'unsloth-Apriel-1.5.jinja': 'the `string` filter on a mapping (tool|string): missing from @huggingface/jinja',
  'Apriel-1.6-15b-Thinker-fixed.jinja': 'the `string` filter on a mapping (tool|string): missing from @huggingface/jinja',
  'meetkai-functionary-medium-v3.2.jinja': 'unpacks tuples in a for loop over a list of pairs: unsupported by @huggingface/jinja',
};

interface Tally {
  rendered: string[];
  failed: Array<{ file: string; error: TemplateError }>;
}

function renderAll(messages: ChatMessage[], tools?: ToolDef[]): Tally {
  const tally: Tally = { rendered: [], failed: [] };
  for (const file of templateFiles()) {
    try {
      const out = loadTemplate(file, { bos: '<s>', eos: '</s>' }).render({ messages, tools });
      expect(typeof out).toBe('string');
      tally.rendered.push(file);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e; // anything else is our bug, not the template's
      tally.failed.push({ file, error: e });
    }
  }
  return tally;
}

function report(title: string, tally: Tally, known: Record<string, string>): void {
  const total = tally.rendered.length + tally.failed.length;
  const lines = tally.failed.map(({ file, error }) => `  ${file}: ${known[file] ?? 'NOT LISTED'}\n    (${error.message})`);
  console.log(`${title}: ${tally.rendered.length}/${total} rendered, ${tally.failed.length} cannot:\n${lines.join('\n')}`);
}

describe('all llama.cpp templates', () => {
  it('render system/user/assistant/user with a generation prompt, except the listed ones', () => {
    const tally = renderAll(STANDARD);
    report('standard conversation', tally, CANNOT_RENDER_STANDARD);
    expect(tally.rendered.length + tally.failed.length).toBeGreaterThanOrEqual(60);
    expect(tally.failed.map((f) => f.file).sort()).toEqual(Object.keys(CANNOT_RENDER_STANDARD).sort());
  });

  it('show every message of the standard conversation, and have a generation prompt that the prompt ends with', () => {
    for (const file of templateFiles()) {
      if (file in CANNOT_RENDER_STANDARD) continue;
      const t = loadTemplate(file, { bos: '<s>', eos: '</s>' });
      const out = t.render({ messages: STANDARD });
      // System text may be reworded around but is never lost (templates without a system role get it merged).
      for (const m of STANDARD) expect(out, `${file}: ${m.role}`).toContain(m.content);
      expect(out.endsWith(generationPrompt(t)), file).toBe(true);
    }
  });

  it('render a tool call round trip (user, assistant tool_calls, tool result) with one tool, except the listed ones', () => {
    const tally = renderAll(TOOL_ROUND_TRIP, [WEATHER_TOOL]);
    report('tool round trip', tally, CANNOT_RENDER_TOOLS);
    expect(tally.failed.map((f) => f.file).sort()).toEqual(Object.keys(CANNOT_RENDER_TOOLS).sort());
    // The tool-use variants that could not render without tools do render with them.
    for (const [file, reason] of Object.entries(CANNOT_RENDER_STANDARD)) {
      if (reason === NEEDS_TOOLS) expect(tally.rendered, file).toContain(file);
    }
  });
});
