import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLAIM_WAIT_MS, createQueue, LEASE_MS, LEASE_PREFIX, QUEUE_PREFIX, type Locks, type Queue } from './queue.js';
import type { SdkEvent } from './types.js';
import type { SdkError } from './errors.js';
import { SdkError as Err } from './errors.js';
import { createLocal, type Local } from './local.js';
import type { Report } from './emitter.js';
import { createLockRegistry, settle, type FakeLocks } from './testing/locks.js';

const event = (messageId: string) => ({ messageId, type: 'track', event: messageId }) as SdkEvent;
const ids = (q: Queue) => q.items.map((e) => e.messageId);
const keys = (prefix: string) => Object.keys(localStorage).filter((k) => k.startsWith(prefix));
/** Without locks, the longest a claim waits before it is confirmed. */
const CONFIRMED = 2 * CLAIM_WAIT_MS;
let errors: SdkError[] = [];
const report: Report = (code, message, options) => errors.push(new Err(code, message, options));
let adopted: string[] = [];
let allowed = true;
/** A tab's queue; tabs of one origin share localStorage (and navigator.locks), like these. */
const tab = (name: string, { maxSize = 100, locks, local = createLocal(report) }: { maxSize?: number; locks?: Locks; local?: Local } = {}) =>
  createQueue({
    maxSize,
    local,
    report,
    onAdopt: () => adopted.push(name),
    allowed: () => allowed,
    locks,
  });

/**
 * localStorage as tabs in separate processes see it: a tab sees its own writes at once and another tab's
 * `delay` ms later (Chromium propagates them through the browser process; a busy machine slows that down).
 */
function delayedViews(delay: number) {
  const writes: Array<{ key: string; value: string | undefined; at: number; by: string }> = [];
  return (by: string): Local => {
    const get = (key: string) => [...writes].reverse().find((w) => w.key === key && (w.by === by || w.at + delay <= Date.now()))?.value;
    const write = (key: string, value?: string) => writes.push({ key, value, at: Date.now(), by }) > 0;
    return {
      get,
      set: write,
      remove: (key) => void write(key),
      keys: () => [...new Set(writes.map((w) => w.key))].filter((k) => get(k) !== undefined),
    };
  };
}

beforeEach(() => {
  localStorage.clear();
  errors = [];
  adopted = [];
  allowed = true;
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => vi.useRealTimers());

describe('persisted queue', () => {
  it('persists each tab under its own key with a lease, and removes both once empty', () => {
    const a = tab('a');
    a.push(event('1'));
    a.push(event('2'));
    expect(keys(QUEUE_PREFIX)).toHaveLength(1);
    expect(keys(LEASE_PREFIX)).toHaveLength(1);
    expect(JSON.parse(localStorage.getItem(keys(QUEUE_PREFIX)[0]!)!)).toEqual([event('1'), event('2')]);
    a.remove(new Set(['1', '2']));
    expect(Object.keys(localStorage)).toEqual([]);
  });

  it('is bounded: past maxSize the oldest event is dropped and reported', () => {
    const a = tab('a', { maxSize: 2 });
    for (const id of ['1', '2', '3']) a.push(event(id));
    expect(ids(a)).toEqual(['2', '3']);
    expect(errors.map((e) => [e.code, e.details.messageIds])).toEqual([['queue_full', ['1']]]);
  });

  it('removes lease keys left without a queue once they expire', () => {
    localStorage.setItem(`${LEASE_PREFIX}gone`, `${Date.now() - 1}:gone`);
    tab('a').heartbeat();
    expect(Object.keys(localStorage)).toEqual([]);
  });
});

describe('adoption without Web Locks (lease protocol, best effort)', () => {
  it('a live tab never adopts the queue of another live tab', () => {
    const a = tab('a');
    const b = tab('b');
    a.push(event('1'));
    b.heartbeat();
    vi.advanceTimersByTime(CONFIRMED);
    expect(ids(b)).toEqual([]);
    expect(ids(a)).toEqual(['1']);
  });

  it('a released queue (page closed or reloaded) is adopted by the next page load', () => {
    const closing = tab('closing');
    closing.push(event('1'));
    closing.release();
    const next = tab('next');
    next.heartbeat();
    expect(ids(next)).toEqual([]);
    vi.advanceTimersByTime(CONFIRMED);
    expect(ids(next)).toEqual(['1']);
    expect(adopted).toEqual(['next']);
    expect(keys(QUEUE_PREFIX)).toHaveLength(1);
  });

  it('after pagehide a tab sends and writes nothing more: what is left belongs to the adopter', () => {
    const closing = tab('closing');
    closing.push(event('1'));
    closing.push(event('2'));
    closing.release();
    expect(ids(closing)).toEqual([]);
    // A request that was in flight completes after pagehide: the persisted queue is left to the adopter.
    closing.remove(new Set(['1']));
    expect(keys(QUEUE_PREFIX).flatMap((k) => (JSON.parse(localStorage.getItem(k)!) as SdkEvent[]).map((e) => e.messageId))).toEqual(['1', '2']);
    const next = tab('next');
    next.heartbeat();
    vi.advanceTimersByTime(CONFIRMED);
    expect(ids(next)).toEqual(['1', '2']);
  });

  it('two tabs racing for an abandoned queue: exactly one adopts it (the last claim written)', () => {
    const dead = tab('dead');
    for (const id of ['1', '2', '3']) dead.push(event(id));
    vi.advanceTimersByTime(LEASE_MS + 1); // crashed: no release, the lease just runs out
    const leaseKey = keys(LEASE_PREFIX)[0]!;
    const expired = localStorage.getItem(leaseKey);
    const b = tab('b');
    const c = tab('c');
    b.heartbeat();
    // c runs in another process and read the lease before b's claim reached it.
    const getItem = Storage.prototype.getItem;
    const stale = vi.spyOn(Storage.prototype, 'getItem').mockImplementation(function (this: Storage, key: string) {
      return key === leaseKey ? expired : getItem.call(this, key);
    });
    c.heartbeat();
    stale.mockRestore();
    vi.advanceTimersByTime(CONFIRMED);
    expect(ids(b)).toEqual([]);
    expect(ids(c)).toEqual(['1', '2', '3']);
    expect(adopted).toEqual(['c']);
    // Later scans find nothing more to take.
    b.heartbeat();
    vi.advanceTimersByTime(CONFIRMED);
    expect(ids(b)).toEqual([]);
    expect(keys(QUEUE_PREFIX)).toHaveLength(1);
  });

  it('claims that reach the other tab later than the claim wait (busy processes): jittered confirmations leave the queue to one', () => {
    const view = delayedViews(1.5 * CLAIM_WAIT_MS);
    const dead = tab('dead', { local: view('dead') });
    dead.push(event('1'));
    dead.push(event('2'));
    dead.release();
    vi.advanceTimersByTime(2 * CLAIM_WAIT_MS); // every tab sees the released queue by now
    const random = vi.spyOn(Math, 'random');
    const b = tab('b', { local: view('b') });
    const c = tab('c', { local: view('c') });
    // Both react to the same release; c's claim is the last written, and its wait the shortest.
    random.mockReturnValue(0.9);
    b.heartbeat();
    random.mockReturnValue(0);
    c.heartbeat();
    random.mockRestore();
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    expect(ids(c)).toEqual(['1', '2']); // b's claim has not reached c: c takes the queue
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    expect(ids(b)).toEqual([]); // b confirms later: c's claim has reached it by then, so it backs off
    expect(adopted).toEqual(['c']);
  });

  it('the limit of the fallback: writes slower to reach other tabs than the longest claim wait let two tabs take a queue; messageIds are kept for the API dedup', () => {
    const view = delayedViews(3 * CLAIM_WAIT_MS);
    const dead = tab('dead', { local: view('dead') });
    dead.push(event('1'));
    dead.release();
    vi.advanceTimersByTime(3 * CLAIM_WAIT_MS);
    const b = tab('b', { local: view('b') });
    const c = tab('c', { local: view('c') });
    b.heartbeat();
    c.heartbeat();
    vi.advanceTimersByTime(CONFIRMED);
    expect([ids(b), ids(c)]).toEqual([['1'], ['1']]);
  });

  it('a tab that sees a claim fresher than the lease backs off', () => {
    const dead = tab('dead');
    dead.push(event('1'));
    dead.release();
    const b = tab('b');
    const c = tab('c');
    b.heartbeat();
    vi.advanceTimersByTime(CLAIM_WAIT_MS / 2);
    c.heartbeat(); // b's claim holds a fresh lease: c keeps off
    vi.advanceTimersByTime(CONFIRMED);
    expect([ids(b), ids(c)]).toEqual([['1'], []]);
  });

  it('a throttled tab whose lease ran out and was adopted re-checks before sending: it sends nothing and starts over', () => {
    const sleepy = tab('sleepy');
    sleepy.push(event('1'));
    vi.advanceTimersByTime(LEASE_MS + 1);
    const other = tab('other');
    other.heartbeat();
    vi.advanceTimersByTime(CONFIRMED);
    expect(ids(other)).toEqual(['1']);
    expect(ids(sleepy)).toEqual([]); // wakes up: what it would send (delivery reads `items`)
    sleepy.push(event('2'));
    expect(ids(sleepy)).toEqual(['2']);
    expect(keys(QUEUE_PREFIX)).toHaveLength(2);
  });

  it('a live owner that renews its lease before the claim is confirmed keeps its queue', () => {
    const owner = tab('owner');
    owner.push(event('1'));
    vi.advanceTimersByTime(LEASE_MS + 1);
    const other = tab('other');
    other.heartbeat();
    // The owner's heartbeat sees the claim and gives the queue up: only one of them may hold it.
    owner.heartbeat();
    vi.advanceTimersByTime(CONFIRMED);
    const holders = [ids(owner), ids(other)].filter((q) => q.includes('1'));
    expect(holders).toHaveLength(1);
  });
});

describe('adoption with Web Locks (exactly once)', () => {
  let registry: ReturnType<typeof createLockRegistry>;
  const tabs: FakeLocks[] = [];
  /** A tab with its own view of the origin's locks. */
  const lockTab = (name: string, local?: Local) => {
    const locks = registry.tab();
    tabs.push(locks);
    return { queue: tab(name, local ? { locks, local } : { locks }), locks };
  };
  const queueName = (locks: FakeLocks) => locks.held().find((n) => n.startsWith(QUEUE_PREFIX));
  /** Tab a queued an event and was frozen past its lease; tab b looked for queues to adopt and waits for a's lock. */
  const waitingForFrozenTab = async () => {
    const a = lockTab('a');
    a.queue.push(event('1'));
    await settle();
    vi.advanceTimersByTime(LEASE_MS + 1);
    const b = lockTab('b');
    await settle();
    b.queue.heartbeat();
    await settle();
    expect(b.locks.waiting()).toEqual([queueName(a.locks)]);
    return { a, b };
  };
  beforeEach(() => {
    registry = createLockRegistry();
  });
  afterEach(() => {
    for (const locks of tabs.splice(0)) locks.close();
  });

  it('each tab holds the lock named after its queue, and persists only while it holds it', async () => {
    const a = lockTab('a');
    a.queue.push(event('1'));
    // Not granted yet: the event waits in memory (and can be sent), but is not persisted.
    expect(ids(a.queue)).toEqual(['1']);
    expect(keys(QUEUE_PREFIX)).toEqual([]);
    await settle();
    expect(a.locks.held()).toEqual([queueName(a.locks)]);
    expect(keys(QUEUE_PREFIX)).toEqual([queueName(a.locks)]);
    expect(ids(a.queue)).toEqual(['1']);
  });

  it('never adopts the queue of a live tab, even one whose lease ran out (frozen or throttled)', async () => {
    const { a, b } = await waitingForFrozenTab();
    expect(ids(b.queue)).toEqual([]);
    a.queue.heartbeat(); // a thaws and carries on
    a.queue.push(event('2'));
    await settle();
    expect(ids(a.queue)).toEqual(['1', '2']);
    expect(adopted).toEqual([]);
    a.queue.release(); // ... until it goes away (pagehide): then b takes what is left, at once
    a.locks.close();
    await settle();
    expect(ids(b.queue)).toEqual(['1', '2']);
    expect(adopted).toEqual(['b']);
  });

  it('a closed tab is adopted by exactly one of many tabs racing for it, and its queue is gone', async () => {
    const closing = lockTab('closing');
    for (const id of ['1', '2', '3']) closing.queue.push(event(id));
    await settle();
    const others = ['b', 'c', 'd', 'e', 'f'].map((name) => lockTab(name));
    await settle();
    closing.queue.release(); // pagehide: the other tabs see the released lease (a storage event) and scan
    for (const other of others) other.queue.heartbeat();
    closing.locks.close();
    await settle();
    const holders = others.filter((o) => o.queue.items.length > 0);
    expect(holders).toHaveLength(1);
    expect(ids(holders[0]!.queue)).toEqual(['1', '2', '3']);
    expect(adopted).toHaveLength(1);
    expect(keys(QUEUE_PREFIX)).toEqual([queueName(holders[0]!.locks)]);
    expect(ids(closing.queue)).toEqual([]);
    for (const other of others) other.queue.heartbeat();
    await settle();
    expect(adopted).toHaveLength(1);
  });

  it('writes that reach other tabs after the lock does (separate processes) still leave a closed tab to one adopter', async () => {
    const DELAY = 1000;
    const view = delayedViews(DELAY);
    const closing = lockTab('closing', view('closing'));
    for (const id of ['1', '2']) closing.queue.push(event(id));
    await settle();
    const others = ['b', 'c', 'd'].map((name) => lockTab(name, view(name)));
    await settle();
    closing.queue.release();
    vi.advanceTimersByTime(DELAY); // the released lease has reached every tab
    for (const other of others) other.queue.heartbeat();
    closing.locks.close();
    await settle();
    // The adopter's removal of the queue has not reached the others yet: only the lock it keeps stops them.
    const holders = others.filter((o) => o.queue.items.length > 0);
    expect(holders.map((h) => ids(h.queue))).toEqual([['1', '2']]);
    expect(adopted).toHaveLength(1);
    // Once the adopter goes, the tabs still waiting get the lock, and find nothing left to take.
    vi.advanceTimersByTime(DELAY);
    holders[0]!.locks.close();
    await settle();
    expect(others.filter((o) => o.queue.items.length > 0)).toEqual(holders);
    expect(adopted).toHaveLength(1);
    for (const other of others) expect(other.locks.waiting()).toEqual([]);
  });

  it('a tab granted the lock before the owner\'s last writes reached it waits for them (the release) before taking', async () => {
    const DELAY = 1000;
    const view = delayedViews(DELAY);
    const a = lockTab('a', view('a'));
    a.queue.push(event('1'));
    await settle();
    vi.advanceTimersByTime(LEASE_MS + 1); // a is frozen past its lease ...
    const b = lockTab('b', view('b'));
    await settle();
    b.queue.heartbeat();
    await settle();
    expect(b.locks.waiting()).toHaveLength(1); // ... and b waits for its lock
    a.queue.heartbeat(); // a thaws: its renewed lease reaches b ...
    vi.advanceTimersByTime(DELAY);
    a.queue.push(event('2')); // ... but not this event, nor the release, when the lock is granted
    a.queue.release();
    a.locks.close();
    await settle();
    expect(ids(b.queue)).toEqual([]); // the live lease in b's view says it is behind: nothing taken yet
    vi.advanceTimersByTime(DELAY);
    b.queue.heartbeat(); // the release's storage event
    await settle();
    expect(ids(b.queue)).toEqual(['1', '2']);
    expect(adopted).toEqual(['b']);
  });

  it('on pagehide the lock is given up at once, and the page writes and sends nothing more', async () => {
    const closing = lockTab('closing');
    closing.queue.push(event('1'));
    closing.queue.push(event('2'));
    await settle();
    const name = queueName(closing.locks)!;
    closing.queue.release();
    await settle();
    expect(closing.locks.held()).toEqual([]); // the back/forward cache can keep the page
    expect(closing.locks.waiting()).toEqual([]);
    expect(ids(closing.queue)).toEqual([]);
    closing.queue.remove(new Set(['1'])); // a request in flight completes after pagehide
    expect(JSON.parse(localStorage.getItem(name)!)).toEqual([event('1'), event('2')]);
    expect(localStorage.getItem(name.replace(QUEUE_PREFIX, LEASE_PREFIX))?.startsWith('0:')).toBe(true);
    const next = lockTab('next'); // the reloaded page
    await settle();
    expect(ids(next.queue)).toEqual(['1', '2']);
    expect(adopted).toEqual(['next']);
  });

  it('a crashed tab (no pagehide) is adopted once its lease runs out', async () => {
    const crashed = lockTab('crashed');
    crashed.queue.push(event('1'));
    await settle();
    crashed.locks.close();
    const b = lockTab('b');
    await settle();
    expect(ids(b.queue)).toEqual([]); // its lease still looks live: it could be a tab without locks
    vi.advanceTimersByTime(LEASE_MS + 1);
    b.queue.heartbeat();
    await settle();
    expect(ids(b.queue)).toEqual(['1']);
  });

  it('a page restored from the back/forward cache starts over under a new id and adopts its own leftovers', async () => {
    const page = lockTab('page');
    page.queue.push(event('1'));
    await settle();
    const before = queueName(page.locks);
    page.queue.release();
    await settle();
    page.queue.heartbeat(); // pageshow
    await settle();
    const after = queueName(page.locks);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(ids(page.queue)).toEqual(['1']);
    expect(keys(QUEUE_PREFIX)).toEqual([after]);
  });

  it('leaves alone a queue whose lease is live and whose owner holds no lock (a tab without Web Locks)', async () => {
    localStorage.setItem(`${QUEUE_PREFIX}old`, JSON.stringify([event('1')]));
    localStorage.setItem(`${LEASE_PREFIX}old`, `${Date.now() + LEASE_MS}:old`);
    const b = lockTab('b');
    await settle();
    b.queue.heartbeat();
    await settle();
    expect(ids(b.queue)).toEqual([]);
    vi.advanceTimersByTime(LEASE_MS + 1);
    b.queue.heartbeat();
    await settle();
    expect(ids(b.queue)).toEqual(['1']);
  });

  it('adopts nothing while storing is not allowed (consent), not even a queue it was already waiting for', async () => {
    const { a, b } = await waitingForFrozenTab();
    allowed = false;
    a.locks.close();
    await settle();
    b.queue.heartbeat();
    await settle();
    expect(ids(b.queue)).toEqual([]);
    expect(keys(QUEUE_PREFIX)).toHaveLength(1); // a's queue stays for later
    allowed = true;
    b.queue.heartbeat();
    await settle();
    expect(ids(b.queue)).toEqual(['1']);
  });
});
