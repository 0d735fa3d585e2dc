/**
 * An in-memory `navigator.locks` for jsdom tests, shared by the "tabs" of one
 * origin, with the Web Locks semantics the SDK relies on
 * (https://w3c.github.io/web-locks/), exclusive mode only:
 * - a lock is held from the moment its callback is called until the promise
 *   the callback returned settles; requests for a held name wait, and are
 *   granted one at a time in the order they were made;
 * - `ifAvailable` calls back with `null` at once when the lock is held or
 *   requested by someone else;
 * - aborting `signal` drops a request that is still waiting (its promise
 *   rejects with an `AbortError`) and does nothing to a granted one;
 * - callbacks always run asynchronously, never inside `request`;
 * - a tab that goes away (`close()`) loses its locks and pending requests at
 *   once, as when the browser discards a document; its promises never settle.
 */
export function createLockRegistry() {
  interface Pending {
    tab: number;
    name: string;
    grant: () => void;
  }
  const held = new Map<string, number>();
  let waiting: Pending[] = [];
  const closed = new Set<number>();
  let tabs = 0;

  const pump = () => {
    for (const request of [...waiting]) {
      if (held.has(request.name) || waiting.find((r) => r.name === request.name) !== request) continue;
      waiting = waiting.filter((r) => r !== request);
      held.set(request.name, request.tab);
      request.grant();
    }
  };
  const releaseAll = (tab: number) => {
    for (const [name, owner] of held) if (owner === tab) held.delete(name);
    waiting = waiting.filter((r) => r.tab !== tab);
    pump();
  };

  /** The `navigator.locks` of one tab. */
  function tab() {
    const id = ++tabs;
    function request<T>(name: string, callback: LockGrantedCallback<T>): Promise<T>;
    function request<T>(name: string, options: LockOptions, callback: LockGrantedCallback<T>): Promise<T>;
    function request<T>(name: string, a: LockOptions | LockGrantedCallback<T>, b?: LockGrantedCallback<T>): Promise<T> {
      const [options, callback] = typeof a === 'function' ? [{}, a] : [a, b!];
      if (options.mode === 'shared' || options.steal) throw new Error('the fake supports exclusive locks without steal only');
      return new Promise<T>((resolve, reject) => {
        const run = (lock: Lock | null) =>
          queueMicrotask(() => {
            if (closed.has(id)) return;
            Promise.resolve()
              .then(() => callback(lock))
              .then(resolve, reject)
              .finally(() => {
                if (lock && held.get(name) === id) {
                  held.delete(name);
                  pump();
                }
              });
          });
        if (closed.has(id)) return;
        if (options.signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
        if (options.ifAvailable && (held.has(name) || waiting.some((r) => r.name === name))) return run(null);
        const pending: Pending = { tab: id, name, grant: () => run({ name, mode: 'exclusive' }) };
        waiting.push(pending);
        options.signal?.addEventListener('abort', () => {
          if (!waiting.includes(pending)) return;
          waiting = waiting.filter((r) => r !== pending);
          reject(new DOMException('aborted', 'AbortError'));
          pump();
        });
        pump();
      });
    }
    return {
      request,
      /** Names of the locks this tab holds now. */
      held: () => [...held].filter(([, owner]) => owner === id).map(([name]) => name),
      /** Names this tab is waiting for. */
      waiting: () => waiting.filter((r) => r.tab === id).map((r) => r.name),
      /** The tab went away (closed, crashed, navigated): the browser releases everything it held. */
      close() {
        closed.add(id);
        releaseAll(id);
      },
    };
  }
  return { tab };
}

export type FakeLocks = ReturnType<ReturnType<typeof createLockRegistry>['tab']>;

/** Lets pending lock grants and their callbacks run (they are asynchronous, like the browser's). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
