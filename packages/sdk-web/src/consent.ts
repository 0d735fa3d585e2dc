import type { ResolvedConsentOptions } from './options.js';
import type { Store } from './store.js';
import type { ConsentState } from './types.js';

/** The one key kept after an opt-out: it is what remembers the opt-out. */
export const CONSENT_KEY = 'cdp_consent';

/** What is persisted: explicit decisions per category, and the opt-out flag. */
interface ConsentRecord {
  d?: Record<string, boolean>;
  o?: 1;
}

export interface Consent {
  /** May an event of this category be sent: true, false (drop), or undefined (hold: opt-in decision pending). */
  allows(category: string): boolean | undefined;
  /** Effective preferences stamped on events as `context.consent.categoryPreferences`. */
  preferences(): Record<string, boolean>;
  state(): ConsentState;
  /** Records explicit choices (merged with earlier ones); lifts an opt-out. */
  set(choices: Record<string, boolean>): void;
  /** Denies everything and remembers it. */
  optOut(): void;
  /** Whether ids may be stored: some category is granted. */
  canPersist(): boolean;
}

type PrivacyNavigator = Navigator & { globalPrivacyControl?: boolean };

export function createConsent(options: ResolvedConsentOptions, store: Store): Consent {
  const read = (): ConsentRecord => {
    try {
      return (JSON.parse(store.get(CONSENT_KEY) ?? '{}') as ConsentRecord | null) ?? {};
    } catch {
      return {};
    }
  };
  const write = (record: ConsentRecord) => store.set(CONSENT_KEY, JSON.stringify(record), { cookie: true, always: true });
  const signal = () => {
    const nav = navigator as PrivacyNavigator;
    const dnt = nav.doNotTrack ?? (globalThis as { doNotTrack?: string }).doNotTrack;
    return (options.honorGpc && nav.globalPrivacyControl === true) || (options.honorDnt && dnt === '1');
  };
  const categories = () => [...new Set([...options.categories, options.defaultCategory])];

  const consent: Consent = {
    allows(category) {
      const record = read();
      if (record.o) return false;
      const decision = record.d?.[category];
      if (decision !== undefined) return decision;
      if (options.signalCategories.includes(category) && signal()) return false;
      if (options.model === 'opt-in') return record.d ? false : undefined;
      return true;
    },
    preferences: () => Object.fromEntries(categories().map((c) => [c, consent.allows(c) === true])),
    state() {
      const record = read();
      return {
        decided: record.d !== undefined || record.o !== undefined,
        optedOut: record.o === 1,
        signal: signal(),
        categories: Object.fromEntries(categories().map((c) => [c, consent.allows(c)])),
      };
    },
    set: (choices) => write({ d: { ...read().d, ...choices } }),
    optOut: () => write({ o: 1, d: {} }),
    canPersist: () => categories().some((c) => consent.allows(c) === true),
  };
  return consent;
}
