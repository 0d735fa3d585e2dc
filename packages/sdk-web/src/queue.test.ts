import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLAIM_WAIT_MS, createQueue, LEASE_MS, LEASE_PREFIX, QUEUE_PREFIX, type Queue } from './queue.js';
import type { SdkEvent } from './types.js';
import type { SdkError } from './errors.js';
import { SdkError as Err } from './errors.js';
import { createLocal } from './local.js';
import type { Report } from './emitter.js';

const event = (messageId: string) => ({ messageId, type: 'track', event: messageId }) as SdkEvent;
const ids = (q: Queue) => q.items.map((e) => e.messageId);
const keys = (prefix: string) => Object.keys(localStorage).filter((k) => k.startsWith(prefix));
let errors: SdkError[] = [];
const report: Report = (code, message, options) => errors.push(new Err(code, message, options));
let adopted: string[] = [];
/** A tab's queue; tabs of one origin share localStorage, like these. */
const tab = (name: string, maxSize = 100) =>
  createQueue({
    maxSize,
    local: createLocal(report),
    report,
    onAdopt: () => adopted.push(name),
  });

beforeEach(() => {
  localStorage.clear();
  errors = [];
  adopted = [];
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
    const a = tab('a', 2);
    for (const id of ['1', '2', '3']) a.push(event(id));
    expect(ids(a)).toEqual(['2', '3']);
    expect(errors.map((e) => [e.code, e.details.messageIds])).toEqual([['queue_full', ['1']]]);
  });

  it('a live tab never adopts the queue of another live tab', () => {
    const a = tab('a');
    const b = tab('b');
    a.push(event('1'));
    b.heartbeat();
    vi.advanceTimersByTime(CLAIM_WAIT_MS * 2);
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
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    expect(ids(next)).toEqual(['1']);
    expect(adopted).toEqual(['next']);
    expect(keys(QUEUE_PREFIX)).toHaveLength(1);
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
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    expect(ids(b)).toEqual([]);
    expect(ids(c)).toEqual(['1', '2', '3']);
    expect(adopted).toEqual(['c']);
    // Later scans find nothing more to take.
    b.heartbeat();
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    expect(ids(b)).toEqual([]);
    expect(keys(QUEUE_PREFIX)).toHaveLength(1);
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
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    expect([ids(b), ids(c)]).toEqual([['1'], []]);
  });

  it('a throttled tab whose lease ran out and was adopted starts over under a new id and does not resend', () => {
    const sleepy = tab('sleepy');
    sleepy.push(event('1'));
    vi.advanceTimersByTime(LEASE_MS + 1);
    const other = tab('other');
    other.heartbeat();
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    expect(ids(other)).toEqual(['1']);
    sleepy.push(event('2')); // wakes up
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
    vi.advanceTimersByTime(CLAIM_WAIT_MS);
    const holders = [ids(owner), ids(other)].filter((q) => q.includes('1'));
    expect(holders).toHaveLength(1);
  });

  it('removes lease keys left without a queue once they expire', () => {
    localStorage.setItem(`${LEASE_PREFIX}gone`, `${Date.now() - 1}:gone`);
    tab('a').heartbeat();
    expect(Object.keys(localStorage)).toEqual([]);
  });
});
