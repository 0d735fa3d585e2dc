import { findCookieDomain } from './cookie-domain.js';
import type { Local } from './local.js';

const YEAR_SECONDS = 365 * 24 * 3600;

export interface StoreOptions {
  cookieDomain: string | undefined;
  local: Local;
}

export interface SetOptions {
  /** Also write a first-party cookie (ids that subdomains must share). */
  cookie?: boolean;
  /** Write even while persistence is off (the consent record itself). */
  always?: boolean;
}

export interface Store {
  /** While false (no consent yet, or denied), values live in memory only. */
  persist: boolean;
  get(key: string): string | undefined;
  set(key: string, value: string, options?: SetOptions): void;
  remove(key: string): void;
  /** Writes the in-memory values to storage (consent was just granted). */
  sync(keys: ReadonlyArray<readonly [string, SetOptions]>): void;
}

/**
 * Key-value store: cookie on the top-most settable domain (read first, so
 * subdomains agree), mirrored in localStorage (survives cookie clearing by
 * ITP-style caps), with a memory fallback when storage is blocked.
 */
export function createStore({ cookieDomain, local }: StoreOptions): Store {
  const memory = new Map<string, string>();
  const secure = location.protocol === 'https:' ? '; secure' : '';
  const attributes = `; samesite=lax${secure}`;
  let domain: string | undefined | null = cookieDomain ?? null;

  const writeCookie = (key: string, value: string, maxAge: number) => {
    domain ??= findCookieDomain(document, location.hostname, attributes);
    document.cookie = `${key}=${encodeURIComponent(value)}; path=/; max-age=${maxAge}${domain ? `; domain=${domain}` : ''}${attributes}`;
  };
  const readCookie = (key: string) => {
    for (const part of document.cookie.split('; ')) {
      if (part.startsWith(`${key}=`)) return decodeURIComponent(part.slice(key.length + 1));
    }
    return undefined;
  };
  const store: Store = {
    persist: true,
    // Storage first, so other tabs and subdomains agree; it holds nothing while persistence is off.
    get: (key) => readCookie(key) ?? local.get(key) ?? memory.get(key),
    set(key, value, { cookie, always } = {}) {
      memory.set(key, value);
      if (!store.persist && !always) return;
      if (cookie) writeCookie(key, value, YEAR_SECONDS);
      local.set(key, value);
    },
    remove(key) {
      memory.delete(key);
      if (readCookie(key) !== undefined) writeCookie(key, '', 0);
      local.remove(key);
    },
    sync(keys) {
      for (const [key, options] of keys) {
        const value = memory.get(key);
        if (value !== undefined) store.set(key, value, options);
      }
    },
  };
  return store;
}
