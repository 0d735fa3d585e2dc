import type { Properties } from './types.js';

/** A plain object (not null, not an array): options, properties, traits, stored JSON. */
export const isObject = (v: unknown): v is Properties => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A non-empty string: ids, event names, option strings. */
export const isId = (v: unknown): v is string => typeof v === 'string' && v !== '';
