/**
 * Tool calls out of a model's streamed text, in the model's own syntax, as they arrive:
 *   hermes   <tool_call>{"name": "f", "arguments": {...}}</tool_call> (repeated)   Qwen2.5/3, Hermes, SmolLM3
 *   llama3   {"name": "f", "parameters": {...}} at the start of the answer (after <|python_tag|>), ";"-separated
 *   mistral  [TOOL_CALLS][{"name": "f", "arguments": {...}}, ...]
 * push(text) returns events: content (text outside calls), call (a call's index, id and name: as soon as its
 * name is complete), arguments (fragments of the call's arguments JSON, in order, as the model writes them).
 * Joined, the argument fragments of a call are its arguments value as written ("arguments" may also be a JSON
 * string holding the JSON, as some models write it: then its decoded text). A call whose "arguments" come
 * before its "name" gives its arguments in one piece once the name is known. An object that turns out not to
 * be a call (no "name") is given back as content. Text that might be the start of a marker is held back
 * until it is decided. A pure state machine: no I/O, ids from `newId`.
 */

export type ToolSyntax = 'hermes' | 'llama3' | 'mistral';

export type ToolEvent =
  | { kind: 'content'; text: string }
  | { kind: 'call'; index: number; id: string; name: string }
  | { kind: 'arguments'; index: number; text: string };

const OPENERS: Record<ToolSyntax, readonly string[]> = {
  hermes: ['<tool_call>'],
  llama3: ['<|python_tag|>'],
  mistral: ['[TOOL_CALLS]'],
};
const CLOSER: Partial<Record<ToolSyntax, string>> = { hermes: '</tool_call>' };
const ARG_KEYS = new Set(['arguments', 'parameters']);

/** OpenAI-style call ids: "call_" and 24 random letters and digits. */
export function newCallId(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const r = crypto.getRandomValues(new Uint8Array(24));
  return 'call_' + Array.from(r, (b) => abc[b % abc.length]).join('');
}

/** Scanning state of the JSON object of one call. */
interface CallScan {
  text: string; // the object so far
  depth: number;
  inString: boolean;
  escape: boolean;
  expect: 'key' | 'colon' | 'value' | 'comma'; // at depth 1
  key: string; // the depth-1 key being read or whose value is being read
  stringStart: number; // index in text of the open quote of the current depth-1 string
  value: { key: string; start: number } | undefined; // the depth-1 value being read
  name?: string;
  argsStart?: number; // index in text where the arguments value begins
  argsEnd?: number; // ... and ends (exclusive), once it has
  argsText?: string; // the finished arguments (decoded when quoted)
  emitted: number; // index in text up to which the arguments went out (Infinity: all of them)
  index: number;
}

export class ToolCallParser {
  private mode: 'text' | 'between' | 'object' | 'closing' = 'text';
  private pending = ''; // text not yet decided (a possible marker, or what follows an opener)
  private scan: CallScan | undefined;
  private started = 0; // calls given an index
  private sawText = false; // non-whitespace content was given out (llama3 calls must come first)

  constructor(
    private readonly syntax: ToolSyntax,
    private readonly newId: () => string = newCallId,
  ) {}

  /** Calls started so far. */
  get calls(): number {
    return this.started;
  }

  push(text: string): ToolEvent[] {
    const out: ToolEvent[] = [];
    this.pending += text;
    this.run(out, false);
    return merge(out);
  }

  /** The end of the answer: whatever is held back comes out (an unfinished call's text as content if it never got a name). */
  end(): ToolEvent[] {
    const out: ToolEvent[] = [];
    this.run(out, true);
    if (this.scan) {
      if (this.scan.name === undefined) out.push({ kind: 'content', text: this.scan.text });
      this.scan = undefined;
    }
    if (this.pending.trim() && this.mode === 'text') out.push({ kind: 'content', text: this.pending });
    this.pending = '';
    return merge(out);
  }

  private run(out: ToolEvent[], final: boolean): void {
    while (this.pending.length > 0) {
      const before = this.pending.length + this.mode;
      if (this.mode === 'text') this.text(out, final);
      else if (this.mode === 'between') this.between();
      else if (this.mode === 'closing') this.close();
      else this.object(out);
      if (this.pending.length + this.mode === before) return; // waiting for more text
    }
  }

  private content(out: ToolEvent[], text: string): void {
    if (!text) return;
    if (text.trim()) this.sawText = true;
    out.push({ kind: 'content', text });
  }

  private text(out: ToolEvent[], final: boolean): void {
    const p = this.pending;
    let at = -1;
    let opener = '';
    for (const o of OPENERS[this.syntax]) {
      const i = p.indexOf(o);
      if (i >= 0 && (at < 0 || i < at)) [at, opener] = [i, o];
    }
    // llama3 (and mistral without its special token shown): a call object at the very start of the answer
    const lead = p.search(/\S/);
    if (!this.sawText && this.syntax !== 'hermes' && lead >= 0 && (at < 0 || lead < at)) {
      const head = p.slice(lead);
      const array = this.syntax === 'mistral' && /^\[\s*(\{|$)/.test(head); // "[{" starts calls; "[" alone may
      if (array && !final && /^\[\s*$/.test(head)) return; // ... or may be "[TOOL_CALLS]": wait
      if (head[0] === '{' || (array && head.length > 1)) {
        this.pending = head;
        this.mode = 'between';
        return;
      }
      if (!final && OPENERS[this.syntax].some((o) => o.startsWith(head))) return;
    }
    if (at >= 0) {
      const before = p.slice(0, at);
      if (this.started === 0 || before.trim()) this.content(out, before); // whitespace between calls is not content
      this.pending = p.slice(at + opener.length);
      this.mode = 'between';
      return;
    }
    // hold back a tail that could still grow into an opener (or, at the start, leading whitespace)
    let keep = 0;
    if (!final) {
      for (const o of OPENERS[this.syntax]) for (let n = Math.min(o.length - 1, p.length); n > keep; n--) if (o.startsWith(p.slice(p.length - n))) keep = n;
      if ((this.started > 0 || (!this.sawText && this.syntax !== 'hermes')) && !p.trim()) keep = p.length;
    } else if (this.started > 0 && !p.trim()) keep = p.length; // whitespace around calls is not content
    if (this.started > 0 && !p.slice(0, p.length - keep).trim()) keep = p.length;
    this.content(out, p.slice(0, p.length - keep));
    this.pending = p.slice(p.length - keep);
  }

  /** Between calls: whitespace and separators, then an object, or the end of the calls. */
  private between(): void {
    const m = /^[\s,;[]*/.exec(this.pending)!;
    const rest = this.pending.slice(m[0].length);
    if (!rest) return;
    if (rest[0] === '{') {
      this.pending = rest;
      this.mode = 'object';
      this.scan = { text: '', depth: 0, inString: false, escape: false, expect: 'key', key: '', stringStart: -1, value: undefined, emitted: 0, index: -1 };
      return;
    }
    this.pending = rest[0] === ']' ? rest.slice(1) : rest;
    this.mode = 'text';
  }

  /** hermes: after a call object, its closing tag (whitespace before it allowed); anything else ends the call too. */
  private close(): void {
    const closer = CLOSER[this.syntax]!;
    const p = this.pending.trimStart();
    this.pending = p;
    if (!p || (closer.startsWith(p) && p !== closer)) return; // wait for more
    if (p.startsWith(closer)) this.pending = p.slice(closer.length);
    this.mode = 'text';
  }

  private object(out: ToolEvent[]): void {
    const s = this.scan!;
    const p = this.pending;
    let i = 0;
    while (i < p.length) {
      const c = p[i++];
      const at = s.text.length;
      s.text += c;
      if (s.inString) {
        if (s.escape) s.escape = false;
        else if (c === '\\') s.escape = true;
        else if (c === '"') {
          s.inString = false;
          if (s.depth === 1) this.stringDone(s, at, out);
        }
        continue;
      }
      if (c === '"') {
        s.inString = true;
        if (s.depth === 1) {
          s.stringStart = at;
          if (s.expect === 'value') this.valueStart(s, at);
        }
      } else if (c === '{' || c === '[') {
        if (s.depth === 1 && s.expect === 'value') this.valueStart(s, at);
        s.depth++;
      } else if (c === '}' || c === ']') {
        s.depth--;
        if (s.depth === 1 && s.value) this.valueDone(s, at + 1, out);
        if (s.depth === 0) {
          if (s.value) this.valueDone(s, at, out); // a scalar ended by the closing brace
          this.pending = p.slice(i);
          this.callDone(s, out);
          return;
        }
      } else if (s.depth === 1 && !/\s/.test(c)) {
        if (c === ':') s.expect = 'value';
        else if (c === ',') {
          if (s.value) this.valueDone(s, at, out);
          s.expect = 'key';
        } else if (s.expect === 'value') this.valueStart(s, at); // a number, true, ...
      }
    }
    this.pending = '';
    this.streamArgs(s, out);
  }

  private valueStart(s: CallScan, at: number): void {
    s.value = { key: s.key, start: at };
    s.expect = 'comma';
    if (ARG_KEYS.has(s.key) && s.argsStart === undefined) s.argsStart = at;
  }

  private stringDone(s: CallScan, at: number, out: ToolEvent[]): void {
    if (s.expect === 'key') {
      s.key = parseString(s.text.slice(s.stringStart, at + 1)) ?? '';
      s.expect = 'colon';
    } else if (s.value && s.value.start === s.stringStart) this.valueDone(s, at + 1, out);
  }

  /** The depth-1 value that began at s.value.start ends before `end`. */
  private valueDone(s: CallScan, end: number, out: ToolEvent[]): void {
    const { key, start } = s.value!;
    s.value = undefined;
    const text = s.text.slice(start, end).trim();
    if (key === 'name' && s.name === undefined) {
      s.name = parseString(text) ?? text;
      this.begin(s, out);
    } else if (ARG_KEYS.has(key) && start === s.argsStart) {
      s.argsEnd = start + text.length;
      s.argsText = text.startsWith('"') ? (parseString(text) ?? text) : text;
      if (s.name !== undefined) this.streamArgs(s, out);
    }
  }

  private begin(s: CallScan, out: ToolEvent[]): void {
    s.index = this.started++;
    out.push({ kind: 'call', index: s.index, id: this.newId(), name: s.name! });
    this.streamArgs(s, out); // arguments written before the name go out at once
  }

  /** Gives out the arguments written so far: an object or array as it streams, a quoted string once decoded. */
  private streamArgs(s: CallScan, out: ToolEvent[]): void {
    if (s.name === undefined || s.argsStart === undefined || s.emitted === Infinity) return;
    const quoted = s.text[s.argsStart] === '"';
    if (quoted || s.argsEnd !== undefined) {
      if (s.argsEnd === undefined) return; // a quoted value comes out decoded, once complete
      const text = quoted ? s.argsText! : s.text.slice(Math.max(s.emitted, s.argsStart), s.argsEnd);
      if (text) out.push({ kind: 'arguments', index: s.index, text });
      s.emitted = Infinity;
      return;
    }
    const text = s.text.slice(Math.max(s.emitted, s.argsStart));
    if (text) out.push({ kind: 'arguments', index: s.index, text });
    s.emitted = s.text.length;
  }

  private callDone(s: CallScan, out: ToolEvent[]): void {
    this.scan = undefined;
    if (s.name === undefined) {
      this.content(out, s.text); // an object that is not a call
      this.mode = 'text';
      return;
    }
    if (s.argsStart === undefined) out.push({ kind: 'arguments', index: s.index, text: '{}' });
    this.mode = CLOSER[this.syntax] ? 'closing' : 'between';
  }
}

function parseString(literal: string): string | undefined {
  try {
    const v: unknown = JSON.parse(literal);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Adjacent events of one kind (and call) joined, so a push gives at most one fragment per call. */
function merge(events: ToolEvent[]): ToolEvent[] {
  const out: ToolEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && e.kind === 'content' && last.kind === 'content') last.text += e.text;
    else if (last && e.kind === 'arguments' && last.kind === 'arguments' && last.index === e.index) last.text += e.text;
    else out.push({ ...e });
  }
  return out.filter((e) => e.kind !== 'content' || e.text !== '');
}
