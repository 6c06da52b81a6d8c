/** JSON Schemas the structured-output tests share: nested objects, arrays, enums, required fields, bounds. */

export const PERSON_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 12 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    role: { enum: ['admin', 'user', 'guest'] },
    tags: { type: 'array', items: { type: 'string', maxLength: 6 }, maxItems: 3 },
    address: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 10 }, zip: { type: 'integer', minimum: 0, maximum: 99999 } },
      required: ['city'],
      additionalProperties: false,
    },
    active: { type: 'boolean' },
  },
  required: ['name', 'age', 'role', 'address'],
  additionalProperties: false,
} as const;

/** Two tools: one with nested, enum and array parameters, one with none. */
export const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', maxLength: 10 },
          unit: { enum: ['celsius', 'fahrenheit'] },
          days: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 7 }, maxItems: 2 },
          where: { type: 'object', properties: { lat: { type: 'integer', minimum: -90, maximum: 90 } }, required: ['lat'], additionalProperties: false },
        },
        required: ['city', 'unit', 'where'],
        additionalProperties: false,
      },
      strict: true,
    },
  },
  { type: 'function', function: { name: 'get_time', description: 'The time now', parameters: { type: 'object', properties: {}, additionalProperties: false } } },
] as const;
