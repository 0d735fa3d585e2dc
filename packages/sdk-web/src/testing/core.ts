import * as calls from '../calls.js';
import { createCore, safely, type Core } from '../core.js';
import { createEmitter, reporter } from '../emitter.js';
import type { SdkError } from '../errors.js';
import { resolveOptions, type Options } from '../options.js';
import { QUEUE_PREFIX } from '../queue.js';
import type { SdkEvent } from '../types.js';

/** A port nothing listens on: every request fails as a network error. */
export const DEAD_HOST = 'http://127.0.0.1:9';

type Rest<F> = F extends (c: Core, ...args: infer A) => void ? A : never;

/** The public calls bound to one core, guarded as index.ts guards them (one "tab" per core). */
function bind(core: Core) {
  const guarded =
    <F extends (c: Core, ...args: never[]) => void>(fn: F) =>
    (...args: Rest<F>) =>
      safely(core.report, () => (fn as (c: Core, ...a: Rest<F>) => void)(core, ...args))();
  return {
    track: guarded(calls.track),
    identify: guarded(calls.identify),
    page: guarded(calls.page),
    group: guarded(calls.group),
    alias: guarded(calls.alias),
    reset: () => core.identity.reset(),
    anonymousId: () => core.identity.anonymousId(),
    userId: () => core.identity.userId(),
    consent: core.consent,
    flush: core.flush,
    use: core.use,
    destroy: core.destroy,
  };
}

/** A core on the test page, with its error events collected. */
export function startCore(options: Partial<Options> = {}) {
  const errors: SdkError[] = [];
  const emitter = createEmitter();
  emitter.on('error', (e) => errors.push(e));
  const resolved = resolveOptions({ writeKey: 'wk_test', host: DEAD_HOST, ...options });
  if (resolved instanceof Error) throw resolved;
  return { core: bind(createCore(resolved, reporter(emitter))), errors, codes: () => errors.map((e) => e.code) };
}

/** Every event persisted in any tab's queue. */
export function persistedEvents(): SdkEvent[] {
  return Object.keys(localStorage)
    .filter((k) => k.startsWith(QUEUE_PREFIX))
    .flatMap((k) => JSON.parse(localStorage.getItem(k) ?? '[]') as SdkEvent[]);
}

export function cookieNames(): string[] {
  return document.cookie.split('; ').filter(Boolean).map((c) => c.split('=')[0] ?? '');
}

/** Forgets all cookies and storage of the test page (cookies on every parent domain too). */
export function clearBrowserState(): void {
  localStorage.clear();
  const labels = location.hostname.split('.');
  for (const name of cookieNames()) {
    for (let i = 0; i < labels.length; i++) {
      document.cookie = `${name}=; path=/; max-age=0; domain=${labels.slice(i).join('.')}`;
    }
    document.cookie = `${name}=; path=/; max-age=0`;
  }
}
