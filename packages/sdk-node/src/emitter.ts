/**
 * A small typed emitter. Unlike node:events it never throws when an `error` event
 * has no listener (the SDK must not throw into the host), and a listener that
 * throws does not break delivery: its error becomes a process warning.
 */
export type Listener<T> = (payload: T) => void;

export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): this {
    let set = this.#listeners.get(name);
    if (set === undefined) this.#listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return this;
  }

  once<K extends keyof Events>(name: K, listener: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (payload) => {
      this.off(name, wrapper);
      listener(payload);
    };
    return this.on(name, wrapper);
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): this {
    this.#listeners.get(name)?.delete(listener as Listener<never>);
    return this;
  }

  listenerCount(name: keyof Events): number {
    return this.#listeners.get(name)?.size ?? 0;
  }

  /** Calls the listeners; returns false when there were none. */
  protected emit<K extends keyof Events>(name: K, payload: Events[K]): boolean {
    const set = this.#listeners.get(name);
    if (set === undefined || set.size === 0) return false;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        process.emitWarning(`@cdp/sdk-node: a '${String(name)}' listener threw: ${String(error)}`, {
          code: 'CDP_SDK_LISTENER_ERROR',
        });
      }
    }
    return true;
  }
}
