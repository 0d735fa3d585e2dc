import type { Report } from './emitter.js';
import type { Local } from './local.js';
import type { SdkEvent } from './types.js';

/** Each tab persists its own queue under `cdp_q_<tab>` (also the name of the Web Lock it holds) ... */
export const QUEUE_PREFIX = 'cdp_q_';
/** ... with a lease `cdp_l_<tab>` = `<expires ms>:<owner tab>` (`0:<tab>` once released). */
export const LEASE_PREFIX = 'cdp_l_';
export const LEASE_MS = 15_000;
/** Without Web Locks, a claim is confirmed if it is still ours 1 to 2 times this long after writing it. */
export const CLAIM_WAIT_MS = 500;

/** The part of `navigator.locks` the queue uses. */
export type Locks = Pick<LockManager, 'request'>;

export interface Queue {
  /** What this tab may send now (empty once another tab took its queue over). */
  readonly items: readonly SdkEvent[];
  push(event: SdkEvent): void;
  remove(messageIds: ReadonlySet<string>): void;
  /** Renews this tab's lease and adopts the queues of tabs that are gone. */
  heartbeat(): void;
  /** The page is going away: let another tab or the next page load adopt what is left at once. */
  release(): void;
  /** Drops this tab's queue (opt-out). */
  clear(): void;
}

export interface QueueOptions {
  maxSize: number;
  local: Local;
  report: Report;
  /** Events were adopted from another tab: time to send. */
  onAdopt: () => void;
  /** Adopting writes storage: only while that is allowed (consent). */
  allowed: () => boolean;
  /** `navigator.locks` where the browser has it (secure contexts); without it, the lease protocol. */
  locks: Locks | undefined;
}

const tabId = () => Math.random().toString(36).slice(2, 10);

/**
 * A bounded queue persisted in localStorage, one per tab, so that events survive
 * reloads and offline periods and only one tab sends a given event.
 *
 * With Web Locks (exactly once): a tab holds the lock named after its queue for
 * its whole life, and writes its queue only while holding it. Another tab
 * adopts a queue only inside that queue's lock, which the browser grants once
 * the owner released it or went away (tabs wait for the lock of every queue
 * whose lease is released or expired); it removes the queue in the same
 * callback and keeps that lock for the rest of its life. Keeping it matters:
 * localStorage is not synchronized with locks (Chromium delivers another
 * process's writes a little later), so a tab granted the lock right after the
 * adopter could still see the queue and take it a second time; the next tab
 * gets the lock only after the adopter's whole life, and finds nothing. The lock is given up
 * on pagehide (at once for the waiting tabs, and so that the page stays
 * eligible for the back/forward cache); a page restored from that cache starts
 * again under a new id and adopts its old queue like any other.
 *
 * Without Web Locks (best effort): a tab that finds an expired or released
 * lease writes its own claim on it, waits CLAIM_WAIT_MS plus a random part (so
 * that two claimers do not confirm at the same instant), and takes the queue
 * only if the claim is still its own (last writer wins), deleting the queue in
 * one write. A tab re-checks its lease before sending, and starts again under
 * a new id when it finds it taken over (it was frozen or throttled past it):
 * the adopter sends what it took. An event sent twice in the rare remaining race
 * carries the same messageId, which the API's dedup absorbs.
 *
 * Leases are kept in both modes, so that tabs of either kind (an older SDK
 * version has leases only) leave each other's live queues alone.
 */
export function createQueue({ maxSize, local, report, onAdopt, allowed, locks }: QueueOptions): Queue {
  let tab = '';
  let items: SdkEvent[] = [];
  let persisted = false;
  /** This tab may write its queue: without locks, until pagehide; with them, while it holds its lock. */
  let held = false;
  /** Aborted when this life ends (pagehide): releases its lock and drops its pending lock requests. */
  let life = new AbortController();
  const claiming = new Set<string>();
  const { get, set, remove: del } = local;
  const lease = (owner: string, ms = LEASE_MS) => `${ms && Date.now() + ms}:${owner}`;
  const expired = (key: string) => Number((get(key) ?? '0').split(':')[0]) <= Date.now();
  /** Settles when this life ends: a lock callback that returns it keeps the lock until then (callers check the life is on). */
  const lifetime = () => new Promise((resolve) => life.signal.addEventListener('abort', resolve));
  /** Lock mode: `callback` runs holding the lock of queue `id` (granted once its holder released it or went away). */
  const lock = (id: string, callback: () => unknown) => void locks?.request(QUEUE_PREFIX + id, { signal: life.signal }, callback).catch(() => {});

  /** A new life: new id, nothing queued; with locks, nothing persisted until this tab holds its lock. */
  const start = () => {
    life.abort();
    const { signal } = (life = new AbortController());
    tab = tabId();
    items = [];
    held = !locks;
    persisted = false;
    claiming.clear();
    // Held until the page goes away (the browser releases it) or the life ends.
    lock(tab, () => {
      // Granted as this life ended (aborting a request the browser was granting comes too late): let it go.
      if (signal.aborted) return;
      held = true;
      save();
      scan();
      return lifetime();
    });
  };
  /** Our lease was taken over (we were frozen or throttled past it): start again under a new id. */
  const check = () => {
    if (persisted && !get(LEASE_PREFIX + tab)?.endsWith(`:${tab}`)) start();
  };
  const trim = () => {
    const dropped = items.splice(0, Math.max(0, items.length - maxSize));
    if (dropped.length > 0) {
      report('queue_full', `Queue full (${maxSize} events); oldest dropped`, {
        details: { messageIds: dropped.map((e) => e.messageId) },
      });
    }
  };
  const save = () => {
    if (!held) return;
    if (items.length === 0) {
      del(QUEUE_PREFIX + tab);
      del(LEASE_PREFIX + tab);
      persisted = false;
    } else {
      persisted = set(LEASE_PREFIX + tab, lease(tab)) && set(QUEUE_PREFIX + tab, JSON.stringify(items));
    }
  };
  /** Moves queue `id` into ours; the caller holds its lock or won its lease. True when it took events. */
  const take = (id: string): boolean => {
    claiming.delete(id);
    check();
    // With locks, a live lease here means our view of storage lags behind the owner's last writes (its
    // release has not reached us): take nothing now; the release's storage event brings us back.
    if (!held || !allowed() || (locks && !expired(LEASE_PREFIX + id))) return false;
    let taken: SdkEvent[] = [];
    try {
      taken = JSON.parse(get(QUEUE_PREFIX + id) ?? '[]') as SdkEvent[];
    } catch {
      /* a corrupt queue cannot be sent */
    }
    // Removing the queue is the one write that marks it adopted: a later taker finds nothing.
    del(QUEUE_PREFIX + id);
    del(LEASE_PREFIX + id);
    const have = new Set(items.map((e) => e.messageId));
    items.push(...taken.filter((e) => !have.has(e.messageId)));
    trim();
    save();
    if (taken.length > 0) onAdopt();
    return taken.length > 0;
  };
  const scan = () => {
    if (!held || !allowed()) return;
    for (const key of local.keys()) {
      const id = key.slice(QUEUE_PREFIX.length);
      // (Both prefixes have the same length.)
      if (key.startsWith(LEASE_PREFIX) && get(QUEUE_PREFIX + id) === undefined && expired(key)) del(key);
      if (!key.startsWith(QUEUE_PREFIX) || id === tab || claiming.has(id) || !expired(LEASE_PREFIX + id)) continue;
      claiming.add(id);
      const mark = lease(tab);
      // An adopter keeps the lock of what it took (see above).
      if (locks) lock(id, () => take(id) && lifetime());
      else {
        // Without locks: claim the lease; take the queue if the claim is still ours after a jittered wait.
        set(LEASE_PREFIX + id, mark);
        setTimeout(() => (get(LEASE_PREFIX + id) === mark ? take(id) : claiming.delete(id)), CLAIM_WAIT_MS * (1 + Math.random()));
      }
    }
  };
  start();

  return {
    get items() {
      // Re-checked before every send: a tab whose queue was taken over must not send it too.
      check();
      return items;
    },
    push(event) {
      check();
      items.push(event);
      trim();
      save();
    },
    remove(ids) {
      check();
      items = items.filter((e) => !ids.has(e.messageId));
      save();
    },
    heartbeat() {
      // After pagehide, only a page restored from the back/forward cache gets here: it starts again.
      if (life.signal.aborted) start();
      check();
      if (persisted) set(LEASE_PREFIX + tab, lease(tab));
      scan();
    },
    release() {
      check();
      if (persisted) set(LEASE_PREFIX + tab, lease(tab, 0));
      // What is left belongs to whoever adopts it now (a tab waiting for the lock gets it at once): this page
      // writes and sends none of it any more. Giving the lock up also keeps the page eligible for the back/forward cache.
      life.abort();
      held = persisted = false;
      items = [];
    },
    clear() {
      items = [];
      save();
    },
  };
}
