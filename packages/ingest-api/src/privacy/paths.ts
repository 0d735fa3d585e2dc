import { isPlainObject, type JsonObject } from '@cdp/protocol';

/** Where a path starts: one of the event's JSON objects, or a whole id field. */
export type PathRoot = 'properties' | 'traits' | 'context' | 'userId' | 'anonymousId';

export interface CompiledPath {
  root: PathRoot;
  /** Keys below the root (`*` = any key); empty for the id fields. */
  segments: readonly string[];
}

/** Paths were validated by the settings schema (see `fieldPath`). */
export function compilePaths(paths: readonly string[]): CompiledPath[] {
  return paths.map((p) => {
    const [root, ...segments] = p.split('.');
    return { root: root as PathRoot, segments };
  });
}

/** Returned by a transform to remove the key. */
export const REMOVE: unique symbol = Symbol('remove');
export type Transform = (value: unknown) => unknown;

/**
 * Applies `fn` to every value `segments` reaches in `value`, copy on write:
 * objects on the way are copied only when something below them changes, so
 * shared inputs (a batch-level context under every event) are never mutated
 * and an untouched tree comes back as the same reference. Arrays met on the
 * way are entered element by element.
 */
export function transformAt(value: unknown, segments: readonly string[], fn: Transform, i = 0): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let k = 0; k < value.length; k++) {
      const next = transformAt(value[k], segments, fn, i);
      if (next !== value[k]) (out ??= [...value])[k] = next;
    }
    return out ?? value;
  }
  if (!isPlainObject(value) || i >= segments.length) return value;
  const seg = segments[i] as string;
  const keys = seg === '*' ? Object.keys(value) : Object.prototype.hasOwnProperty.call(value, seg) ? [seg] : [];
  const last = i === segments.length - 1;
  let out: JsonObject | undefined;
  for (const key of keys) {
    const child = value[key];
    const next = last ? fn(child) : transformAt(child, segments, fn, i + 1);
    if (next === child) continue;
    out ??= { ...value };
    if (next === REMOVE) delete out[key];
    else out[key] = next;
  }
  return out ?? value;
}

/** A transform that replaces values by their hash; arrays element by element, null kept. */
export function hashing(hash: (text: string) => string): Transform {
  const one = (v: unknown): unknown => {
    if (v === null || v === undefined) return v;
    if (Array.isArray(v)) return v.map(one);
    return hash(typeof v === 'string' ? v : JSON.stringify(v));
  };
  return one;
}

export const removing: Transform = () => REMOVE;
