import { DEFAULT_LIMITS } from '@cdp/protocol/constants';
import { byteLength } from './batch.js';
import { CONSENT_KEY, createConsent } from './consent.js';
import { pageContext } from './context.js';
import { createDelivery } from './delivery.js';
import type { Report } from './emitter.js';
import { createIdentity, IDENTITY_KEYS, type Identity } from './identity.js';
import type { ResolvedOptions } from './options.js';
import { createQueue, LEASE_MS } from './queue.js';
import { createLocal } from './local.js';
import { createStore } from './store.js';
import type { ConsentState, EventOptions, Plugin, Properties, SdkEvent } from './types.js';
import { uuid } from './uuid.js';
import { isObject } from './guards.js';

export type Fields = Pick<SdkEvent, 'type'> &
  Partial<Pick<SdkEvent, 'event' | 'name' | 'properties' | 'traits' | 'groupId' | 'previousId' | 'userId'>>;

/** What the calls (`track`, `identify`, ...) are built on; see calls.ts. */
export interface Core {
  /** Builds an event from `fields`, then applies consent and plugins and queues it. */
  emit(fields: Fields, options?: EventOptions): void;
  /** Reports a call with a bad argument. */
  invalid(message: string, path: string): void;
  report: Report;
  identity: Identity;
  consent: {
    get(): ConsentState;
    set(choices: Record<string, boolean>): void;
    optOut(): void;
  };
  flush(): Promise<void>;
  use(plugin: Plugin): void;
  /** Stops timers and listeners (tests, or a host tearing the SDK down). */
  destroy(): void;
}

/** A properties/traits argument: an object, or absent. */
export const isProps = (v: unknown): v is Properties | undefined => v === undefined || isObject(v);

/** Runs `fn`, turning an exception into an `internal_error` event: nothing reaches the host page. */
export const safely =
  <A extends unknown[], R>(report: Report, fn: (...args: A) => R) =>
  (...args: A): R | undefined => {
    try {
      return fn(...args);
    } catch (cause) {
      report('internal_error', String(cause), { cause });
      return undefined;
    }
  };

/**
 * The SDK proper: builds events, applies consent and plugins, queues and
 * delivers. Every entry point is wrapped so that nothing throws into the host.
 * The calls that build each event type live in calls.ts, so that a bundler
 * drops those a page does not use.
 */
export function createCore(options: ResolvedOptions, report: Report): Core {
  const local = createLocal(report);
  const store = createStore({ cookieDomain: options.cookieDomain, local });
  const consent = createConsent(options.consent, store);
  const identity = createIdentity(store, options.sessionTimeout);
  const plugins = [...options.plugins];
  /** Events waiting for an opt-in decision: memory only, never persisted. */
  let pending: Array<[SdkEvent, string]> = [];

  const queue = createQueue({
    maxSize: options.maxQueueSize,
    local,
    report,
    // Adopted events are already late: send them now rather than after flushInterval.
    onAdopt: () => void delivery.flush(),
    // Queues of other tabs are adopted only while storing is allowed (an opt-out wipes them anyway).
    allowed: () => store.persist,
    // Absent on plain-http pages (not a secure context) and in older browsers: the lease protocol then.
    locks: navigator.locks,
  });
  const delivery = createDelivery({ options, queue, report });

  const guard = <A extends unknown[], R>(fn: (...args: A) => R) => safely(report, fn);

  /** Consent allows the event: stamp it, run plugins, queue it. */
  const deliver = (event: SdkEvent) => {
    event.context.consent = { categoryPreferences: consent.preferences() };
    let out: SdkEvent | null = event;
    for (const plugin of plugins) {
      try {
        if (plugin.beforeSend) out = plugin.beforeSend(out);
      } catch (cause) {
        report('plugin_failed', `Plugin ${plugin.name} threw; event dropped`, { cause, details: { messageIds: [event.messageId] } });
        return;
      }
      if (!out) return;
    }
    if (byteLength(JSON.stringify(out)) > DEFAULT_LIMITS.maxEventBytes) {
      report('event_too_large', `Event larger than ${DEFAULT_LIMITS.maxEventBytes} bytes; dropped`, { details: { messageIds: [out.messageId] } });
      return;
    }
    queue.push(out);
    delivery.schedule();
  };

  const route = (event: SdkEvent, category: string) => {
    const allowed = consent.allows(category);
    if (allowed) deliver(event);
    // Bounded like the queue: a visitor who never answers the banner must not grow memory without end.
    else if (allowed === undefined && pending.push([event, category]) > options.maxQueueSize) pending.shift();
  };

  /** Applies a consent change: persist or wipe ids, release or discard held events. */
  const applyConsent = () => {
    store.persist = consent.canPersist();
    if (store.persist) store.sync(IDENTITY_KEYS);
    else wipe(consent.state().optedOut);
    const held = pending;
    pending = [];
    for (const [event, category] of held) route(event, category);
  };

  /** Removes the SDK's cookies and storage, keeping only the consent record; queues too on opt-out. */
  const wipe = (queues: boolean) => {
    for (const [key] of IDENTITY_KEYS) store.remove(key);
    if (!queues) return;
    pending = [];
    queue.clear();
    for (const key of local.keys()) if (key.startsWith('cdp_') && key !== CONSENT_KEY) store.remove(key);
  };

  const emit = (fields: Fields, opts: EventOptions = {}) => {
    const now = Date.now();
    const event: SdkEvent = {
      messageId: uuid(),
      timestamp: (opts.timestamp ?? new Date(now)).toISOString(),
      anonymousId: identity.anonymousId(),
      ...(identity.userId() !== undefined && { userId: identity.userId() }),
      ...fields,
      context: { ...pageContext(), sessionId: identity.session(now), consent: { categoryPreferences: {} }, ...opts.context },
      ...(opts.integrations && { integrations: opts.integrations }),
    } as SdkEvent;
    route(event, opts.category ?? options.consent.defaultCategory);
  };

  store.persist = consent.canPersist();
  const heartbeat = guard(() => queue.heartbeat());
  const timer = setInterval(heartbeat, LEASE_MS / 3);
  const listeners: Array<[EventTarget, string, (e: Event) => void]> = [
    [document, 'visibilitychange', guard(() => document.visibilityState === 'hidden' && delivery.unload(false))],
    [window, 'pagehide', guard(() => delivery.unload(true))],
    [window, 'pageshow', heartbeat],
    [window, 'online', guard(() => delivery.online())],
    // Another tab released its queue (closed or reloaded): adopt it now rather than at the next heartbeat.
    [window, 'storage', (e) => (e as StorageEvent).newValue?.startsWith('0:') && heartbeat()],
  ];
  for (const [target, type, fn] of listeners) target.addEventListener(type, fn);
  // Adopt what earlier pages left (a reload, a closed tab); it is sent once adopted.
  heartbeat();

  return {
    emit: guard(emit),
    invalid: (message, path) => report('invalid_argument', message, { details: { path } }),
    report,
    identity,
    consent: {
      get: () => consent.state(),
      set: guard((choices) => {
        if (!isProps(choices) || !Object.values(choices).every((v) => typeof v === 'boolean')) {
          return report('invalid_argument', 'consent.set: expected { category: boolean }', { details: { path: 'choices' } });
        }
        consent.set(choices);
        applyConsent();
      }),
      optOut: guard(() => {
        consent.optOut();
        applyConsent();
      }),
    },
    flush: () => delivery.flush().catch((cause: unknown) => report('internal_error', String(cause), { cause })),
    use: guard((plugin) => {
      plugins.push(plugin);
    }),
    destroy() {
      clearInterval(timer);
      delivery.stop();
      for (const [target, type, fn] of listeners) target.removeEventListener(type, fn);
    },
  };
}
