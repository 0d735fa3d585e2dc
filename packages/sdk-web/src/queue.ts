import type { Report } from './emitter.js';
import type { Local } from './local.js';
import type { SdkEvent } from './types.js';

/** Each tab persists its own queue under `cdp_q_<tab>` ... */
export const QUEUE_PREFIX = 'cdp_q_';
/** ... and holds it with a lease `cdp_l_<tab>` = `<expires ms>:<owner tab>`. */
export const LEASE_PREFIX = 'cdp_l_';
export const LEASE_MS = 15_000;
/** A claim is confirmed if it is still ours this long after writing it (longer than localStorage takes to reach other tabs). */
export const CLAIM_WAIT_MS = 250;

export interface Queue {
  readonly items: readonly SdkEvent[];
  push(event: SdkEvent): void;
  remove(messageIds: ReadonlySet<string>): void;
  /** Renews this tab's lease and adopts the queues of tabs whose lease ran out. */
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
}

const tabId = () => Math.random().toString(36).slice(2, 10);

/**
 * A bounded queue persisted in localStorage, one per tab, so that events survive
 * reloads and offline periods and only one tab ever sends a given event.
 *
 * Adoption (the tab closed, crashed or was frozen past its lease): a tab that
 * finds an expired lease writes its own claim on it, waits CLAIM_WAIT_MS, and
 * takes the queue only if the claim is still its own (last writer wins), then
 * deletes both keys. A tab that finds its own lease taken over starts again
 * under a new id: the adopter sends what it took. Any event sent twice in a
 * race (e.g. in flight while adopted) carries the same messageId, which the
 * API's dedup absorbs.
 */
export function createQueue({ maxSize, local, report, onAdopt }: QueueOptions): Queue {
  let tab = tabId();
  let items: SdkEvent[] = [];
  let persisted = false;
  const claiming = new Set<string>();
  const { get, set, remove: del } = local;
  const lease = (owner: string, ms = LEASE_MS) => `${ms && Date.now() + ms}:${owner}`;
  const expired = (key: string) => Number((get(key) ?? '0').split(':')[0]) <= Date.now();

  /** Our lease was taken over (we were frozen or throttled past it): start again under a new id. */
  const check = () => {
    if (persisted && !get(LEASE_PREFIX + tab)?.endsWith(`:${tab}`)) {
      tab = tabId();
      items = [];
      persisted = false;
    }
  };
  const trim = () => {
    const dropped = items.splice(0, Math.max(0, items.length - maxSize));
    if (dropped.length > 0) {
      report('queue_full', `The queue is full (${maxSize} events); dropped the oldest`, {
        details: { messageIds: dropped.map((e) => e.messageId) },
      });
    }
  };
  const save = () => {
    if (items.length === 0) {
      del(QUEUE_PREFIX + tab);
      del(LEASE_PREFIX + tab);
      persisted = false;
    } else {
      persisted = set(LEASE_PREFIX + tab, lease(tab)) && set(QUEUE_PREFIX + tab, JSON.stringify(items));
    }
  };
  const adopt = (id: string, mark: string) => {
    claiming.delete(id);
    if (get(LEASE_PREFIX + id) !== mark) return;
    let taken: SdkEvent[] = [];
    try {
      taken = JSON.parse(get(QUEUE_PREFIX + id) ?? '[]') as SdkEvent[];
    } catch {
      /* a corrupt queue cannot be sent */
    }
    del(QUEUE_PREFIX + id);
    del(LEASE_PREFIX + id);
    check();
    const have = new Set(items.map((e) => e.messageId));
    items.push(...taken.filter((e) => !have.has(e.messageId)));
    trim();
    save();
    onAdopt();
  };
  const scan = () => {
    for (const key of local.keys()) {
      const id = key.slice(QUEUE_PREFIX.length);
      if (key.startsWith(LEASE_PREFIX) && get(QUEUE_PREFIX + key.slice(LEASE_PREFIX.length)) === undefined && expired(key)) del(key);
      if (!key.startsWith(QUEUE_PREFIX) || id === tab || claiming.has(id) || !expired(LEASE_PREFIX + id)) continue;
      const mark = lease(tab);
      if (!set(LEASE_PREFIX + id, mark)) continue;
      claiming.add(id);
      setTimeout(() => adopt(id, mark), CLAIM_WAIT_MS);
    }
  };

  return {
    get items() {
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
      check();
      if (persisted) set(LEASE_PREFIX + tab, lease(tab));
      scan();
    },
    release() {
      check();
      if (persisted) set(LEASE_PREFIX + tab, lease(tab, 0));
    },
    clear() {
      items = [];
      save();
    },
  };
}
