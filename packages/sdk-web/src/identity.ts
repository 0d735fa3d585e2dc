import type { SetOptions, Store } from './store.js';
import type { Properties } from './types.js';
import { uuid } from './uuid.js';
import { isObject } from './guards.js';

const ANONYMOUS_ID = 'cdp_aid';
const USER_ID = 'cdp_uid';
const TRAITS = 'cdp_traits';
const SESSION = 'cdp_sid';

// Ids go in cookies (shared by subdomains); traits can be large, so localStorage only.
const ID = { cookie: true } as const satisfies SetOptions;
/** Every key identity keeps, with where it is written. */
export const IDENTITY_KEYS: ReadonlyArray<readonly [string, SetOptions]> = [
  [ANONYMOUS_ID, ID],
  [USER_ID, ID],
  [TRAITS, {}],
  [SESSION, ID],
];

export interface Identity {
  anonymousId(): string;
  userId(): string | undefined;
  traits(): Properties;
  /** Sets the user id (a different id than the stored one starts with empty traits) and merges traits. */
  identify(userId: string | undefined, traits: Properties | undefined): void;
  /** Session id for an event happening now: a new one after `timeout` ms without events. */
  session(now: number): number;
  /** Logout: new anonymous id and session, no user id or traits. */
  reset(): void;
}

export function createIdentity(store: Store, sessionTimeout: number): Identity {
  const parseTraits = (): Properties => {
    try {
      const value: unknown = JSON.parse(store.get(TRAITS) ?? '{}');
      return isObject(value) ? value : {};
    } catch {
      return {};
    }
  };
  const identity: Identity = {
    anonymousId() {
      let id = store.get(ANONYMOUS_ID);
      if (!id) store.set(ANONYMOUS_ID, (id = uuid()), ID);
      return id;
    },
    userId: () => store.get(USER_ID) || undefined,
    traits: parseTraits,
    identify(userId, traits) {
      const previous = identity.userId();
      const base = previous !== undefined && userId !== undefined && userId !== previous ? {} : parseTraits();
      if (userId !== undefined) store.set(USER_ID, userId, ID);
      store.set(TRAITS, JSON.stringify({ ...base, ...traits }));
    },
    session(now) {
      const [id, last] = (store.get(SESSION) ?? '').split('.').map(Number);
      const current = id && last && now - last <= sessionTimeout ? id : now;
      store.set(SESSION, `${current}.${now}`, ID);
      return current;
    },
    reset() {
      for (const [key] of IDENTITY_KEYS) store.remove(key);
      store.set(ANONYMOUS_ID, uuid(), ID);
    },
  };
  return identity;
}
