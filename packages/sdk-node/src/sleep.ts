/**
 * Backoff timers. They are unref'd so an idle SDK never keeps the process alive,
 * and ref'd while someone awaits flush() or close(), so that a script awaiting
 * them does not exit with a retry pending.
 */
export class Sleeps {
  readonly #timers = new Set<NodeJS.Timeout>();
  #keepAlive = false;

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (!this.#keepAlive) timer.unref();
      this.#timers.add(timer);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  keepAlive(on: boolean): void {
    if (on === this.#keepAlive) return;
    this.#keepAlive = on;
    for (const timer of this.#timers) {
      if (on) timer.ref();
      else timer.unref();
    }
  }
}
