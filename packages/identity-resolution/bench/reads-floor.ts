/**
 * The floor of `resolve.bench.ts`: the least work any resolver must do for the bench's events, so that
 * the mix can be compared with what this machine allows at all (as `bench:floor` does for ingestion).
 *
 * Per event it does only the reads and writes of the graph the rules cannot avoid, on the cheapest
 * layout there is: every identifier maps straight to its profile object (one hash lookup, no profile
 * id to look up next), a profile holds its identifiers and traits. Track: one lookup. Identify of a
 * known user: one lookup, its other identifiers found in the profile's own list, each trait compared
 * with the stored version. Merge: the second profile's lookup, its identifiers re-pointed, its traits
 * folded. Nothing else: no normalization beyond lower-casing, no blocked values, limits or caps, no
 * duplicate check, no deltas or result objects.
 */
import type { MemoryIdentityStore } from '../src/index.js';

interface Version {
  value: unknown;
  at: number;
}

interface FloorProfile {
  readonly id: string;
  readonly members: { readonly type: string; readonly value: string }[];
  readonly traits: Map<string, Version>;
}

export interface FloorEvent {
  readonly type: string;
  readonly userId?: unknown;
  readonly anonymousId?: unknown;
  readonly traits?: unknown;
  readonly timestamp: number;
}

/** The graph of a store in the floor's layout (built untimed, once per round). */
export class ReadsFloor {
  readonly #owners = new Map<string, Map<string, FloorProfile>>();

  constructor(store: MemoryIdentityStore) {
    for (const id of store.profileIds()) {
      const profile: FloorProfile = { id, members: [], traits: new Map() };
      for (const { type, value } of store.identifiersOf(id)) {
        profile.members.push({ type, value });
        this.#map(type).set(value, profile);
      }
      for (const [key, v] of store.traits(id)) profile.traits.set(key, { value: v.value, at: v.at });
    }
  }

  #map(type: string): Map<string, FloorProfile> {
    let map = this.#owners.get(type);
    if (map === undefined) this.#owners.set(type, (map = new Map()));
    return map;
  }

  /** The event's profile id (the bench's events are all resolvable). */
  resolve(event: FloorEvent): string {
    const anonymousId = (event.anonymousId as string).toLowerCase();
    if (event.type !== 'identify') return this.#map('anonymous_id').get(anonymousId)!.id;
    const profile = this.#map('user_id').get(event.userId as string)!;
    const traits = event.traits as Record<string, unknown>;
    this.#join(profile, 'anonymous_id', anonymousId);
    this.#join(profile, 'email', (traits['email'] as string).toLowerCase());
    for (const key in traits) this.#offer(profile, key, traits[key], event.timestamp);
    return profile.id;
  }

  /** Makes `value` an identifier of `profile`: known there already, new, or merged in with its profile. */
  #join(profile: FloorProfile, type: string, value: string): void {
    for (const m of profile.members) if (m.value === value && m.type === type) return;
    const map = this.#map(type);
    const other = map.get(value);
    if (other === undefined) {
      map.set(value, profile);
      profile.members.push({ type, value });
      return;
    }
    for (const m of other.members) {
      this.#map(m.type).set(m.value, profile);
      profile.members.push(m);
    }
    for (const [key, v] of other.traits) this.#offer(profile, key, v.value, v.at);
  }

  #offer(profile: FloorProfile, key: string, value: unknown, at: number): void {
    const current = profile.traits.get(key);
    if (current === undefined) profile.traits.set(key, { value, at });
    else if (at > current.at) {
      current.value = value;
      current.at = at;
    }
  }
}
