import { demoEnd, type DemoOptions } from './options.js';
import { personEvents, type DemoEvent } from './wallet.js';

/** Progress of a run, reported after each batch. */
export interface DemoProgress {
  people: number;
  events: number;
}

/**
 * Groups of whole people, each of about `size` events. A person is never
 * split unless alone over `size`, so concurrent senders never reorder one
 * person's events (identity resolution depends on their order).
 */
export function* demoBatches(options: Pick<DemoOptions, 'profiles' | 'events' | 'seed' | 'days'> & { end: number }, size: number): Generator<{ events: DemoEvent[]; people: number }> {
  const world = { seed: options.seed, end: options.end, days: options.days, meanEvents: options.events / options.profiles };
  let batch: DemoEvent[] = [];
  let people = 0;
  for (let i = 0; i < options.profiles; i++) {
    const events = personEvents(world, i);
    if (batch.length > 0 && batch.length + events.length > size) {
      yield { events: batch, people };
      batch = [];
      people = 0;
    }
    batch.push(...events);
    people++;
  }
  if (batch.length > 0) yield { events: batch, people };
}

export function worldOf(options: DemoOptions): Pick<DemoOptions, 'profiles' | 'events' | 'seed' | 'days'> & { end: number } {
  return { profiles: options.profiles, events: options.events, seed: options.seed, days: options.days, end: demoEnd(options) };
}
