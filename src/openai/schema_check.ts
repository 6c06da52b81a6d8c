/**
 * A request's JSON Schema, checked twice: against the JSON Schema meta-schema (Ajv, draft-07, which also reads
 * the 2020-12 keywords the converter supports), then by converting it to a grammar (src/grammar/schema_ebnf.ts),
 * so that a schema constrained decoding cannot follow is refused up front instead of producing JSON the
 * schema rejects.
 */
import { Ajv } from 'ajv';
import { SchemaError, schemaToEbnf } from '../grammar/schema_ebnf.ts';
import { badRequest } from './errors.ts';

let ajv: Ajv | undefined;

/**
 * Throws a 400 (param `param`) when `schema` (found at `at`) is not a valid JSON Schema, or, with `convert`,
 * when it uses something constrained decoding cannot enforce.
 */
export function checkSchema(schema: unknown, at: string, param: string, strict: boolean, convert = true): void {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw badRequest(`${at} must be a JSON Schema object, got ${Array.isArray(schema) ? 'an array' : schema === null ? 'null' : typeof schema}`, param);
  }
  ajv ??= new Ajv({ strict: false, validateFormats: false, logger: false });
  const { $schema: _ignored, ...body } = typeof schema === 'object' ? (schema as Record<string, unknown>) : { not: {} };
  const valid = typeof schema === 'boolean' || ajv.validateSchema(body);
  if (!valid) {
    const e = ajv.errors?.[0];
    const where = e?.instancePath ? `${at}${e.instancePath.replaceAll('/', '.')}` : at;
    throw badRequest(`${at} is not a valid JSON Schema: ${where} ${e?.message ?? 'is invalid'}`, param);
  }
  if (!convert) return;
  try {
    schemaToEbnf(schema, { strict });
  } catch (err) {
    if (err instanceof SchemaError) throw badRequest(`${at} cannot be used for constrained decoding: ${err.at ? `${at}.${err.at}` : at}: ${err.message.replace(`${err.at}: `, '')}`, param);
    throw err;
  }
}
