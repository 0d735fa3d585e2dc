import { SdkError } from './errors.js';

export interface SdkEvents {
  error: SdkError;
}
export type Listener<K extends keyof SdkEvents> = (payload: SdkEvents[K]) => void;

export interface Emitter {
  on<K extends keyof SdkEvents>(type: K, listener: Listener<K>): () => void;
  emit<K extends keyof SdkEvents>(type: K, payload: SdkEvents[K]): void;
}

export function createEmitter(): Emitter {
  const listeners = new Map<keyof SdkEvents, Set<Listener<keyof SdkEvents>>>();
  return {
    on(type, listener) {
      const set = listeners.get(type) ?? new Set();
      listeners.set(type, set);
      set.add(listener as Listener<keyof SdkEvents>);
      return () => set.delete(listener as Listener<keyof SdkEvents>);
    },
    emit(type, payload) {
      for (const listener of listeners.get(type) ?? []) {
        // A failing listener must neither reach the host nor stop the others.
        try {
          listener(payload);
        } catch {
          /* ignored on purpose */
        }
      }
    },
  };
}

/** Reports a failure as an `error` event; `code` defaults to `internal_error`. */
export type Report = (code: SdkError['code'], message: string, options?: ConstructorParameters<typeof SdkError>[2]) => void;

export function reporter(emitter: Emitter): Report {
  return (code, message, options) => emitter.emit('error', new SdkError(code, message, options));
}
