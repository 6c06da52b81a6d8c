/**
 * The parts of request validation both routes share: the JSON body, `model`, `stream` with
 * `stream_options`, `n`, `user`, and the sampling fields (src/sampling/params.ts). All pure: a body in, a
 * typed value out, or an ApiError (400 naming `param`, 404 for an unknown model). Unknown fields are
 * ignored; `null` means "not given", as the SDKs send it.
 */
import { SamplingParamError, validateSampling, type SamplingParams } from '../sampling/params.ts';
import { badRequest, notFound } from './errors.ts';

/** What validation needs to know about the served model. */
export interface RequestContext {
  /** The id clients must send as `model`. */
  modelId: string;
  /** Vocabulary size: bounds token ids in prompts, logit_bias and stop_token_ids. */
  nVocab: number;
}

/** Fields every generation request carries once validated. */
export interface CommonRequest {
  model: string;
  stream: boolean;
  /** stream_options.include_usage: a final `choices: []` chunk with the usage before [DONE]. */
  includeUsage: boolean;
  /** Choices per prompt. */
  n: number;
  sampling: SamplingParams;
}

/** Most choices per prompt. OpenAI allows 128; every choice costs a full generation here, so fewer. */
export const MAX_N = 16;

export type Body = Readonly<Record<string, unknown>>;

/** How a value reads in an error message: its type, or the value itself when short. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length <= 40 ? `the string ${JSON.stringify(v)}` : 'a string';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

export const given = (v: unknown): boolean => v !== undefined && v !== null;

export const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request body as JSON; 400 with `param: null` when it is not JSON or not an object. */
export function parseJsonBody(text: string): Body {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw badRequest(`We could not parse the JSON body of your request (${why}). The body must be a JSON object.`);
  }
  if (!isObject(value)) throw badRequest(`The request body must be a JSON object, got ${describe(value)}.`);
  return value;
}

export function booleanField(body: Body, name: string, fallback = false): boolean {
  const v = body[name];
  if (!given(v)) return fallback;
  if (typeof v !== 'boolean') throw badRequest(`${name} must be a boolean, got ${describe(v)}`, name);
  return v;
}

export function stringField(body: Body, name: string, param = name): string | undefined {
  const v = body[name];
  if (!given(v)) return undefined;
  if (typeof v !== 'string') throw badRequest(`${param} must be a string, got ${describe(v)}`, param);
  return v;
}

function modelField(body: Body, ctx: RequestContext): string {
  const v = body.model;
  if (!given(v)) throw badRequest('you must provide a model parameter', 'model');
  if (typeof v !== 'string') throw badRequest(`model must be a string, got ${describe(v)}`, 'model');
  if (v !== ctx.modelId) throw notFound(`The model \`${v}\` does not exist. This server serves \`${ctx.modelId}\`.`, 'model', 'model_not_found');
  return v;
}

function nField(body: Body): number {
  const v = body.n;
  if (!given(v)) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badRequest(`n must be an integer, got ${describe(v)}`, 'n');
  if (v < 1 || v > MAX_N) throw badRequest(`n must be in [1, ${MAX_N}], got ${v}`, 'n');
  return v;
}

function streamFields(body: Body): { stream: boolean; includeUsage: boolean } {
  const stream = booleanField(body, 'stream');
  const o = body.stream_options;
  if (!given(o)) return { stream, includeUsage: false };
  if (!isObject(o)) throw badRequest(`stream_options must be an object, got ${describe(o)}`, 'stream_options');
  const u = o.include_usage;
  if (given(u) && typeof u !== 'boolean') throw badRequest(`stream_options.include_usage must be a boolean, got ${describe(u)}`, 'stream_options.include_usage');
  const includeUsage = u === true;
  if (includeUsage && !stream) throw badRequest('stream_options.include_usage is only allowed when stream is true', 'stream_options');
  return { stream, includeUsage };
}

/** Sampling fields with SamplingParamError turned into a 400 naming the same param. */
export function samplingFields(body: Body, nVocab: number, legacyLogprobs: boolean): SamplingParams {
  try {
    return validateSampling(body, nVocab, { legacyLogprobs });
  } catch (e) {
    if (e instanceof SamplingParamError) throw badRequest(e.message, e.param);
    throw e;
  }
}

/** model, stream, stream_options, n, user and the sampling fields. */
export function commonFields(body: Body, ctx: RequestContext, o: { legacyLogprobs: boolean }): CommonRequest {
  const model = modelField(body, ctx);
  const { stream, includeUsage } = streamFields(body);
  const n = nField(body);
  stringField(body, 'user'); // read only to reject a wrong type, as OpenAI does
  return { model, stream, includeUsage, n, sampling: samplingFields(body, ctx.nVocab, o.legacyLogprobs) };
}
