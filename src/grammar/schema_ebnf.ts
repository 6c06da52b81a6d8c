/**
 * JSON Schema -> EBNF for xgrammar's grammar compiler: the grammar accepts exactly the compact JSON texts
 * (", " and ": " separators, no other whitespace) that validate against the schema, for the keywords below.
 * Written here rather than taken from xgrammar's own converter, whose 0.1.27 build lets raw control
 * characters into strings that have a maxLength (invalid JSON) and accepts integers past a `maximum`.
 *
 * Supported: type (one or a list), properties, required, additionalProperties (false, true, a schema;
 * absent = allowed unless strict), items, minItems, maxItems, minLength, maxLength, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum (integers; numbers only with integer bounds >= 0), enum, const, anyOf,
 * oneOf (as anyOf), allOf of one schema, $ref to local pointers ("#", "#/$defs/x", "#/definitions/x"),
 * recursion. Annotations (title, description, default, examples, format, $schema, $id, $comment, ...)
 * do not constrain. Anything else that constrains (pattern, not, uniqueItems, ...) is refused with a
 * SchemaError naming where, rather than silently producing JSON the schema rejects.
 * Properties come out in the order the schema lists them; extra properties (when allowed) after them.
 */

export class SchemaError extends Error {
  override name = 'SchemaError';
  constructor(
    readonly at: string, // where in the schema, e.g. "properties.tags.items"
    message: string,
  ) {
    super(`${at ? at + ': ' : ''}${message}`);
  }
}

/** Rules every grammar may use: any JSON value, compact. */
const BASE = String.raw`json_value ::= json_object | json_array | json_string | json_number | "true" | "false" | "null"
json_object ::= "{" (json_string ": " json_value (", " json_string ": " json_value)*)? "}"
json_array ::= "[" (json_value (", " json_value)*)? "]"
json_string ::= "\"" json_char* "\""
json_char ::= [^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
json_int_part ::= "0" | [1-9] [0-9]*
json_integer ::= "-"? json_int_part
json_fraction ::= "." [0-9]+
json_exponent ::= [eE] [+-]? [0-9]+
json_number ::= "-"? json_int_part json_fraction? json_exponent?`;

const ANNOTATIONS = new Set([
  'title', 'description', 'default', 'examples', 'format', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly',
  '$defs', 'definitions', 'contentEncoding', 'contentMediaType', 'strict', 'name', '$anchor',
]);
const HANDLED = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minLength', 'maxLength',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref',
]);
const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean', 'null'] as const;
type JsonType = (typeof TYPES)[number];
type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
/** An EBNF string literal matching exactly `text` (JSON's escapes are also xgrammar's). */
export const literal = (text: string): string => (text === '' ? '""' : JSON.stringify(text));
const join = (at: string, key: string | number): string => (typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key);

export interface EbnfOptions {
  /** OpenAI's strict mode: objects take no properties beyond `properties` unless additionalProperties says so. */
  strict: boolean;
  /** Name of the rule for the schema's value (default "root"). */
  rootName?: string;
}

/** Builds rules for one or more schemas into one grammar (tool calls put several in one). */
export class EbnfBuilder {
  private readonly rules: string[] = [];
  private readonly refs = new Map<unknown, Map<string, string>>(); // root schema -> "$ref" text -> rule name
  private n = 0;

  /** OpenAI's strict mode for the schemas converted next (several schemas in one grammar may differ). */
  constructor(public strict: boolean) {}

  /** A rule name for `body`, which may refer to rules made later. */
  rule(body: string, name = `r${++this.n}`): string {
    this.rules.push(`${name} ::= ${body}`);
    return name;
  }

  /** The expression for values of `schema`; `root` is what "#" refers to. */
  value(schema: unknown, root: unknown, at = ''): string {
    if (schema === true) return 'json_value';
    if (schema === false) throw new SchemaError(at, 'a false schema matches nothing');
    if (!isObject(schema)) throw new SchemaError(at, `a schema must be an object or a boolean, got ${JSON.stringify(schema)}`);
    for (const key of Object.keys(schema)) {
      if (!HANDLED.has(key) && !ANNOTATIONS.has(key)) throw new SchemaError(join(at, key), `the keyword '${key}' is not supported by constrained decoding`);
    }
    if (schema.$ref !== undefined) return this.ref(schema.$ref, root, join(at, '$ref'));
    if ('const' in schema) return literal(JSON.stringify(schema.const));
    if (schema.enum !== undefined) {
      if (!Array.isArray(schema.enum) || schema.enum.length === 0) throw new SchemaError(join(at, 'enum'), 'enum must be a non-empty array');
      return `(${schema.enum.map((v) => literal(JSON.stringify(v))).join(' | ')})`;
    }
    for (const key of ['anyOf', 'oneOf'] as const) {
      const list = schema[key];
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.length === 0) throw new SchemaError(join(at, key), `${key} must be a non-empty array`);
      return `(${list.map((s, i) => this.value(s, root, join(join(at, key), i))).join(' | ')})`;
    }
    if (schema.allOf !== undefined) {
      if (!Array.isArray(schema.allOf) || schema.allOf.length !== 1) throw new SchemaError(join(at, 'allOf'), 'allOf is supported with exactly one schema');
      return this.value(schema.allOf[0], root, join(join(at, 'allOf'), 0));
    }
    const types = this.types(schema, at);
    if (types.length === 0) return 'json_value';
    const alts = types.map((t) => this.typed(schema, t, root, at));
    return alts.length === 1 ? alts[0] : `(${alts.join(' | ')})`;
  }

  /** The whole grammar, BASE included, with `name ::= value of schema`. */
  grammar(): string {
    return [...this.rules, BASE].join('\n');
  }

  private types(schema: Schema, at: string): JsonType[] {
    const t = schema.type;
    if (t === undefined) {
      if (schema.properties !== undefined || schema.additionalProperties !== undefined || schema.required !== undefined) return ['object'];
      if (schema.items !== undefined) return ['array'];
      return [];
    }
    const list = Array.isArray(t) ? t : [t];
    for (const x of list) if (!(TYPES as readonly unknown[]).includes(x)) throw new SchemaError(join(at, 'type'), `unknown type ${JSON.stringify(x)}`);
    return list as JsonType[];
  }

  private typed(schema: Schema, type: JsonType, root: unknown, at: string): string {
    switch (type) {
      case 'object':
        return this.object(schema, root, at);
      case 'array':
        return this.array(schema, root, at);
      case 'string': {
        const min = count(schema, 'minLength', at) ?? 0;
        const max = count(schema, 'maxLength', at);
        if (max !== undefined && max < min) throw new SchemaError(at, `maxLength ${max} is below minLength ${min}`);
        if (min === 0 && max === undefined) return 'json_string';
        return this.rule(`"\\"" json_char{${min},${max ?? ''}} "\\""`);
      }
      case 'integer': {
        const [lo, hi] = bounds(schema, at);
        return lo === -Infinity && hi === Infinity ? 'json_integer' : this.rule(intRange(lo, hi, at));
      }
      case 'number': {
        const [lo, hi] = bounds(schema, at);
        if (lo === -Infinity && hi === Infinity) return 'json_number';
        if (lo < 0) throw new SchemaError(at, 'numbers are supported with integer bounds of 0 or more only (use type integer)');
        // [lo, hi]: an integer part in [lo, hi - 1] with any fraction, or hi itself; no exponent
        if (hi === Infinity) return this.rule(`(${intRange(lo, Infinity, at)}) json_fraction?`);
        return this.rule(hi > lo ? `(${intRange(lo, hi - 1, at)}) json_fraction? | ${literal(String(hi))}` : literal(String(hi)));
      }
      case 'boolean':
        return '("true" | "false")';
      case 'null':
        return '"null"';
    }
  }

  private object(schema: Schema, root: unknown, at: string): string {
    const props = schema.properties ?? {};
    if (!isObject(props)) throw new SchemaError(join(at, 'properties'), 'properties must be an object');
    const keys = Object.keys(props);
    const required = schema.required ?? [];
    if (!Array.isArray(required)) throw new SchemaError(join(at, 'required'), 'required must be an array');
    const extra = schema.additionalProperties ?? (this.strict ? false : true);
    for (const r of required) {
      if (!keys.includes(r as string)) throw new SchemaError(join(at, 'required'), `required property ${JSON.stringify(r)} must be listed in properties`);
    }
    const kv = keys.map((k) => `${literal(JSON.stringify(k))} ": " ${this.value(props[k], root, join(join(at, 'properties'), k))}`);
    const extraKv = extra === false ? undefined : `json_string ": " ${this.value(extra, root, join(at, 'additionalProperties'))}`;
    const req = keys.map((k) => required.includes(k));
    // after[i]: what may follow once some property was written and properties i.. remain
    const after: string[] = new Array<string>(keys.length + 1);
    after[keys.length] = extraKv ? this.rule(`(", " ${extraKv})*`) : '""';
    for (let i = keys.length - 1; i >= 0; i--) {
      after[i] = this.rule(req[i] ? `", " ${kv[i]} ${after[i + 1]}` : `(", " ${kv[i]})? ${after[i + 1]}`);
    }
    // first: nothing written yet; the first property present starts the list
    let first = extraKv ? `(${extraKv} ${after[keys.length]})?` : '""';
    for (let i = keys.length - 1; i >= 0; i--) {
      first = req[i] ? `${kv[i]} ${after[i + 1]}` : `(${kv[i]} ${after[i + 1]} | ${first})`;
    }
    return this.rule(`"{" ${first} "}"`);
  }

  private array(schema: Schema, root: unknown, at: string): string {
    if (Array.isArray(schema.items)) throw new SchemaError(join(at, 'items'), 'tuple items (an array of schemas) are not supported');
    const item = this.value(schema.items ?? true, root, join(at, 'items'));
    const min = count(schema, 'minItems', at) ?? 0;
    const max = count(schema, 'maxItems', at) ?? Infinity;
    if (max < min) throw new SchemaError(at, `maxItems ${max} is below minItems ${min}`);
    if (max === 0) return '"[" "]"';
    const rest = `(", " ${item}){${Math.max(min - 1, 0)},${max === Infinity ? '' : max - 1}}`;
    return this.rule(min === 0 ? `"[" (${item} ${rest})? "]"` : `"[" ${item} ${rest} "]"`);
  }

  private ref(ref: unknown, root: unknown, at: string): string {
    if (typeof ref !== 'string' || !ref.startsWith('#')) throw new SchemaError(at, `only local references ("#/...") are supported, got ${JSON.stringify(ref)}`);
    let refs = this.refs.get(root);
    if (!refs) this.refs.set(root, (refs = new Map()));
    const known = refs.get(ref);
    if (known) return known;
    let target: unknown = root;
    for (const part of ref.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~');
      target = isObject(target) ? target[key] : Array.isArray(target) ? target[Number(key)] : undefined;
      if (target === undefined) throw new SchemaError(at, `${ref} does not resolve`);
    }
    const name = `r${++this.n}`;
    refs.set(ref, name); // before the body: a recursive schema refers to its own rule
    this.rule(this.value(target, root, ref.slice(2).replaceAll('/', '.')), name);
    return name;
  }
}

/** One schema's grammar, its value the root rule. */
export function schemaToEbnf(schema: unknown, o: EbnfOptions): string {
  const b = new EbnfBuilder(o.strict);
  b.rule(b.value(schema, schema), o.rootName ?? 'root');
  return b.grammar();
}

function count(schema: Schema, key: string, at: string): number | undefined {
  const v = schema[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new SchemaError(join(at, key), `${key} must be a non-negative integer`);
  return v;
}

/** Integer bounds [lo, hi] from minimum/maximum/exclusive*, in both the draft-4 and the later forms. */
function bounds(schema: Schema, at: string): [number, number] {
  const num = (key: string): number | undefined => {
    const v = schema[key];
    if (v === undefined || typeof v === 'boolean') return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) throw new SchemaError(join(at, key), `${key} must be a number within ±2^53`);
    return v;
  };
  let lo = -Infinity;
  let hi = Infinity;
  const min = num('minimum');
  const max = num('maximum');
  const xmin = num('exclusiveMinimum');
  const xmax = num('exclusiveMaximum');
  if (min !== undefined) lo = schema.exclusiveMinimum === true ? Math.floor(min) + 1 : Math.ceil(min);
  if (max !== undefined) hi = schema.exclusiveMaximum === true ? Math.ceil(max) - 1 : Math.floor(max);
  if (xmin !== undefined) lo = Math.max(lo, Math.floor(xmin) + 1);
  if (xmax !== undefined) hi = Math.min(hi, Math.ceil(xmax) - 1);
  if (schema.type === 'number' || (Array.isArray(schema.type) && schema.type.includes('number'))) {
    for (const v of [min, max, xmin, xmax]) if (v !== undefined && !Number.isInteger(v)) throw new SchemaError(at, 'bounds on numbers must be integers');
  }
  if (lo > hi) throw new SchemaError(at, 'no integer lies within minimum and maximum');
  return [lo, hi];
}

/** EBNF for the integers in [lo, hi] (either end may be infinite), written without leading zeros. */
export function intRange(lo: number, hi: number, at = ''): string {
  if (lo > hi) throw new SchemaError(at, 'empty integer range');
  const alts: string[] = [];
  if (lo < 0) alts.push(`"-" (${nonNegative(hi < 0 ? -hi : 1, -lo)})`);
  if (hi >= 0) alts.push(nonNegative(Math.max(lo, 0), hi));
  return alts.join(' | ');
}

/** Integers in [a, b], 0 <= a <= b (b may be Infinity), by digit count. */
function nonNegative(a: number, b: number): string {
  const alts: string[] = [];
  const la = String(a).length;
  const lb = b === Infinity ? la : String(b).length;
  for (let len = la; len <= lb; len++) {
    const from = Math.max(a, len === 1 ? 0 : 10 ** (len - 1));
    const to = Math.min(b, 10 ** len - 1);
    if (from <= to) alts.push(sameLength(String(from), String(to)));
  }
  if (b === Infinity) alts.push(`[1-9] [0-9]{${la},}`); // every longer number
  return alts.join(' | ');
}

/** Digit strings of one length from x to y (x <= y): the classic range-to-pattern split. */
function sameLength(x: string, y: string): string {
  if (x === y) return literal(x);
  const n = x.length - 1;
  if (n === 0) return `[${x}-${y}]`;
  if (x[0] === y[0]) return `"${x[0]}" (${sameLength(x.slice(1), y.slice(1))})`;
  const alts: string[] = [];
  let from = Number(x[0]);
  let to = Number(y[0]);
  if (!/^0*$/.test(x.slice(1))) {
    alts.push(`"${x[0]}" (${sameLength(x.slice(1), '9'.repeat(n))})`); // x[0] then x's tail .. 99
    from++;
  }
  if (!/^9*$/.test(y.slice(1))) {
    alts.push(`"${y[0]}" (${sameLength('0'.repeat(n), y.slice(1))})`); // y[0] then 00 .. y's tail
    to--;
  }
  if (from <= to) alts.push(`[${from}-${to}] [0-9]{${n}}`);
  return alts.join(' | ');
}
