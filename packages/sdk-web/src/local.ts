import type { Report } from './emitter.js';

/** localStorage that never throws: blocked storage reads as empty, a refused write is reported once. */
export interface Local {
  get(key: string): string | undefined;
  /** False when the value could not be stored. */
  set(key: string, value: string): boolean;
  remove(key: string): void;
  keys(): string[];
}

export function createLocal(report: Report): Local {
  let warned = false;
  // Accessing localStorage itself throws where the browser blocks it (some privacy modes).
  const use = <T>(fn: (s: Storage) => T, fallback: T): T => {
    try {
      return fn(globalThis.localStorage);
    } catch {
      return fallback;
    }
  };
  return {
    get: (key) => use((s) => s.getItem(key) ?? undefined, undefined),
    set(key, value) {
      const ok = use((s) => (s.setItem(key, value), true), false);
      if (!ok && !warned) report('storage_failed', 'localStorage refused a write; using memory');
      warned ||= !ok;
      return ok;
    },
    remove: (key) => use((s) => s.removeItem(key), undefined),
    keys: () => use((s) => Object.keys(s), []),
  };
}
