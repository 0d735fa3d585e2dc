import { SdkError } from './errors.js';
import { isId, isObject } from './guards.js';
import type { Plugin } from './types.js';

/** `opt-out`: send unless the visitor denies. `opt-in`: hold events in memory until the visitor decides. */
export type ConsentModel = 'opt-out' | 'opt-in';

export interface ConsentOptions {
  model?: ConsentModel;
  /** Categories the site asks consent for; every event carries their state in `context.consent.categoryPreferences`. */
  categories?: readonly string[];
  /** Category of events that do not name one. */
  defaultCategory?: string;
  /** Honour `navigator.globalPrivacyControl`. */
  honorGpc?: boolean;
  /** Honour Do-Not-Track (`navigator.doNotTrack === '1'`). */
  honorDnt?: boolean;
  /** Categories a GPC/DNT signal denies unless the visitor explicitly grants them. */
  signalCategories?: readonly string[];
}

export interface Options {
  /** Source write key (sent as `writeKey` in the batch body). */
  writeKey: string;
  /** Base URL of the ingestion API, e.g. `https://cdp.example.com`. */
  host: string;
  /** Send as soon as this many events are queued. */
  flushAt?: number;
  /** Otherwise send this many ms after the first queued event. */
  flushInterval?: number;
  /** Most events kept in this tab's persisted queue; the oldest is dropped past it. */
  maxQueueSize?: number;
  /** First retry delay in ms (doubles per attempt, with jitter). */
  retryBaseDelay?: number;
  /** Longest retry delay in ms. */
  retryMaxDelay?: number;
  /** A session ends after this many ms without events. */
  sessionTimeout?: number;
  /** Cookie domain; by default the top-most domain the browser lets us set (shared across subdomains). */
  cookieDomain?: string;
  consent?: ConsentOptions;
  plugins?: readonly Plugin[];
}

/** All defaults, in one place. */
export const DEFAULTS = Object.freeze({
  flushAt: 20,
  flushInterval: 1000,
  maxQueueSize: 500,
  retryBaseDelay: 1000,
  retryMaxDelay: 60_000,
  sessionTimeout: 30 * 60_000,
  cookieDomain: undefined as string | undefined,
  consent: Object.freeze({
    model: 'opt-out' as ConsentModel,
    categories: Object.freeze(['analytics', 'marketing']) as readonly string[],
    defaultCategory: 'analytics',
    honorGpc: true,
    honorDnt: true,
    // GPC and DNT signal an objection to sale/sharing and cross-site tracking: marketing.
    signalCategories: Object.freeze(['marketing']) as readonly string[],
  }),
  plugins: Object.freeze([]) as readonly Plugin[],
});

export type ResolvedConsentOptions = Readonly<Required<ConsentOptions>>;
export interface ResolvedOptions
  extends Readonly<Required<Omit<Options, 'cookieDomain' | 'consent'>>> {
  readonly cookieDomain: string | undefined;
  readonly consent: ResolvedConsentOptions;
}

type Check = (value: unknown) => boolean;
const isStrings: Check = (v) => Array.isArray(v) && v.every(isId);

/** Kinds of option value: how to check one, and what to say when it is wrong. */
const KINDS = {
  string: [isId, 'a non-empty string'],
  url: [(v) => isId(v) && /^https?:\/\/[^/]/.test(v as string), 'an http(s) URL'],
  count: [(v) => Number.isInteger(v) && (v as number) >= 1, 'an integer >= 1'],
  ms: [(v) => typeof v === 'number' && v >= 0 && v < 2 ** 31, 'milliseconds >= 0'],
  boolean: [(v) => typeof v === 'boolean', 'a boolean'],
  strings: [isStrings, 'an array of non-empty strings'],
  model: [(v) => v === 'opt-out' || v === 'opt-in', "'opt-out' or 'opt-in'"],
  plugins: [
    (v) => Array.isArray(v) && v.every((p) => isObject(p) && isId(p['name']) && ['undefined', 'function'].includes(typeof p['beforeSend'])),
    'an array of { name, beforeSend? }',
  ],
} satisfies Record<string, [Check, string]>;

const SPEC: Record<string, keyof typeof KINDS> = {
  writeKey: 'string',
  host: 'url',
  flushAt: 'count',
  flushInterval: 'ms',
  maxQueueSize: 'count',
  retryBaseDelay: 'ms',
  retryMaxDelay: 'ms',
  sessionTimeout: 'ms',
  cookieDomain: 'string',
  plugins: 'plugins',
  'consent.model': 'model',
  'consent.categories': 'strings',
  'consent.defaultCategory': 'string',
  'consent.honorGpc': 'boolean',
  'consent.honorDnt': 'boolean',
  'consent.signalCategories': 'strings',
};

function invalid(path: string, message: string): SdkError {
  return new SdkError('invalid_options', `Invalid option ${path}: ${message}`, { details: { path } });
}

/** Validates the options once, fills defaults and freezes the result; returns the first problem instead of throwing. */
export function resolveOptions(input: unknown): ResolvedOptions | SdkError {
  if (!isObject(input)) return invalid('options', 'expected an object');
  const consent = input['consent'] ?? {};
  if (!isObject(consent)) return invalid('consent', 'expected an object');
  const entries = [
    ...Object.entries(input).filter(([k]) => k !== 'consent'),
    ...Object.entries(consent).map(([k, v]) => [`consent.${k}`, v] as const),
  ];
  for (const required of ['writeKey', 'host']) if (input[required] === undefined) return invalid(required, 'is required');
  for (const [path, value] of entries) {
    const kind = SPEC[path];
    if (kind === undefined) return invalid(path, 'unknown option');
    const [check, expected] = KINDS[kind];
    if (value !== undefined && !check(value)) return invalid(path, `expected ${expected}`);
  }
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const resolved: ResolvedOptions = {
    ...DEFAULTS,
    ...(defined(input) as Partial<Options>),
    host: (input['host'] as string).replace(/\/+$/, ''),
    consent: Object.freeze({ ...DEFAULTS.consent, ...(defined(consent) as ConsentOptions) }),
  } as ResolvedOptions;
  return Object.freeze(resolved);
}
