import sjson from 'secure-json-parse';
import { ApiError } from './api-error.js';
import { wellFormedJson } from './well-formed.js';

/**
 * Parses JSON; keys that could reach an object prototype (`__proto__`,
 * `constructor.prototype`) are removed rather than trusted, and lone
 * surrogates replaced (see wellFormedJson).
 */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new ApiError('invalid_json', { message: 'The request body is empty; expected a JSON object.' });
  let parsed: unknown;
  try {
    parsed = sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (err) {
    throw new ApiError('invalid_json', { message: `The request body is not valid JSON: ${(err as Error).message}` });
  }
  return wellFormedJson(text, parsed);
}
