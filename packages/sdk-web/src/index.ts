import * as calls from './calls.js';
import { createCore, safely, type Core } from './core.js';
import { createEmitter, reporter, type Listener, type SdkEvents } from './emitter.js';
import { resolveOptions, type Options } from './options.js';
import type { ConsentState, EventOptions, Plugin, Properties } from './types.js';

export { DEFAULTS, type Options, type ConsentOptions, type ConsentModel } from './options.js';
export { SdkError, isSdkError, type SdkErrorCode, type SdkErrorDetails } from './errors.js';
export type { SdkEvents, Listener } from './emitter.js';
export type { ConsentState, EventOptions, Plugin, Properties, SdkContext, SdkEvent } from './types.js';
export { VERSION } from './version.js';

const emitter = createEmitter();
const report = reporter(emitter);
let core: Core | undefined;
/** Calls made before `init`, replayed by it (frameworks often track before the SDK is configured). */
const early: Array<(c: Core) => void> = [];
const EARLY_MAX = 100;

const call = (fn: (c: Core) => void): void => {
  if (core) safely(report, fn)(core);
  else if (early.length < EARLY_MAX) early.push(fn);
};

/**
 * Starts the SDK. Returns false (and reports an `invalid_options` error naming
 * the option) when the options are invalid; the SDK then stays inactive.
 */
export function init(options: Options): boolean {
  if (core) {
    report('already_initialized', 'init called twice; ignored');
    return false;
  }
  const resolved = resolveOptions(options);
  if (resolved instanceof Error) {
    emitter.emit('error', resolved);
    return false;
  }
  try {
    core = createCore(resolved, report);
  } catch (cause) {
    report('internal_error', `init failed: ${String(cause)}`, { cause });
    return false;
  }
  for (const fn of early.splice(0)) call(fn);
  return true;
}

/** Records an action the visitor took. */
export function track(event: string, properties?: Properties, options?: EventOptions): void {
  call((c) => calls.track(c, event, properties, options));
}

/** Ties the visitor to a user id (optional) and records traits. */
export function identify(userId?: string | null, traits?: Properties, options?: EventOptions): void {
  call((c) => calls.identify(c, userId, traits, options));
}

/** Records a page view; call on every route change in single-page apps. */
export function page(name?: string | null, properties?: Properties, options?: EventOptions): void {
  call((c) => calls.page(c, name, properties, options));
}

/** Ties the user to a group (account, company). */
export function group(groupId: string, traits?: Properties, options?: EventOptions): void {
  call((c) => calls.group(c, groupId, traits, options));
}

/** Links the current identity (user id, or anonymous id) to `newId`. */
export function alias(newId: string, options?: EventOptions): void {
  call((c) => calls.alias(c, newId, options));
}

/** Logout: a new anonymous id, user id and traits cleared, a new session. */
export function reset(): void {
  call((c) => c.identity.reset());
}

/** Sends what is queued now. */
export async function flush(): Promise<void> {
  await core?.flush();
}

/** Adds a plugin (`beforeSend` runs on every event, in order of `use`). */
export function use(plugin: Plugin): void {
  call((c) => c.use(plugin));
}

/** Listens to SDK events (`error`); returns a function that removes the listener. */
export function on<K extends keyof SdkEvents>(type: K, listener: Listener<K>): () => void {
  return emitter.on(type, listener);
}

/** The anonymous id (undefined before `init`). */
export function anonymousId(): string | undefined {
  return core?.identity.anonymousId();
}

export const consent = {
  /** The consent in force (undefined before `init`). */
  get: (): ConsentState | undefined => core?.consent.get(),
  /** Records the visitor's choices, e.g. `{ analytics: true, marketing: false }`; sends or discards held events. */
  set: (choices: Record<string, boolean>): void => call((c) => c.consent.set(choices)),
  /** Stops everything and removes the SDK's cookies and storage (the opt-out itself is remembered). */
  optOut: (): void => call((c) => c.consent.optOut()),
};
