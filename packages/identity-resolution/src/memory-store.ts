/**
 * In-memory IdentityStore: the reference implementation, used by tests and as the API's cache.
 * Identifier owners are kept canonical (a merge re-points the merged profile's identifiers, at most
 * the identifier cap), so the hot lookup is one Map get. Merged-away ids resolve through a parent map
 * with path compression (O(1) amortised).
 */
import { z } from 'zod';
import { hydrate, type HydrateOptions, type HydrationConflict } from './hydrate.js';
import type {
  IdentityRecords,
  IdentitySnapshot,
  IdentityStore,
  ProfileRecord,
  ProfileSnapshot,
  ProfileState,
} from './store.js';
import { mergeTraits, type TraitState, type TraitVersion } from './traits.js';
import { NONE, type Identifier, type ProfileId } from './types.js';

export const DEFAULT_MEMORY_STORE_OPTIONS = Object.freeze({
  /**
   * How many state-changing messageIds are remembered for duplicate detection (oldest forgotten first).
   * Forgetting is safe: replaying an event whose effects are in the store changes nothing.
   */
  rememberMessages: 1_000_000,
});

const memoryStoreOptionsSchema = z.strictObject({ rememberMessages: z.number().int().nonnegative().optional() });
export type MemoryStoreOptions = z.input<typeof memoryStoreOptionsSchema>;

interface Profile extends ProfileState {
  identifierCount: number;
  mergeCount: number;
  readonly typeCounts: Map<string, number>;
  members: Identifier[];
  merged: ProfileId[];
  traits: TraitState | undefined;
}

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = value;
  return out;
}

export class MemoryIdentityStore implements IdentityStore {
  readonly #owners = new Map<string, Map<string, ProfileId>>();
  readonly #parent = new Map<ProfileId, ProfileId>();
  readonly #profiles = new Map<ProfileId, Profile>();
  readonly #processed = new Map<string, ProfileId>();
  /** Remembered messageIds in insertion order (from `#head`); ids evicted otherwise are skipped. */
  #order: string[] = [];
  #head = 0;
  readonly #rememberMessages: number;

  constructor(options: MemoryStoreOptions = {}) {
    const parsed = memoryStoreOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TypeError(`invalid memory store option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`);
    }
    this.#rememberMessages = parsed.data.rememberMessages ?? DEFAULT_MEMORY_STORE_OPTIONS.rememberMessages;
  }

  owner(identifier: Identifier): ProfileId | undefined {
    return this.#owners.get(identifier.type)?.get(identifier.value);
  }

  canonical(profileId: ProfileId): ProfileId {
    let root = profileId;
    for (let next = this.#parent.get(root); next !== undefined; next = this.#parent.get(root)) root = next;
    for (let id = profileId; id !== root; ) {
      const next = this.#parent.get(id)!;
      if (next !== root) this.#parent.set(id, root);
      id = next;
    }
    return root;
  }

  profile(profileId: ProfileId): ProfileState | undefined {
    return this.#profiles.get(profileId);
  }

  traits(profileId: ProfileId): TraitState {
    const profile = this.#require(profileId);
    return (profile.traits ??= new Map());
  }

  identifiersOf(profileId: ProfileId): readonly Identifier[] {
    return this.#profiles.get(profileId)?.members ?? NONE;
  }

  mergedIds(profileId: ProfileId): readonly ProfileId[] {
    return this.#profiles.get(profileId)?.merged ?? NONE;
  }

  processed(messageId: string): ProfileId | undefined {
    return this.#processed.get(messageId);
  }

  createProfile(record: ProfileRecord): void {
    if (this.#profiles.has(record.profileId) || this.#parent.has(record.profileId)) {
      throw new Error(`profile ${record.profileId} already exists`);
    }
    this.#profiles.set(record.profileId, {
      id: record.profileId,
      createdAt: record.createdAt,
      createdBy: record.createdBy,
      identifierCount: 0,
      mergeCount: 0,
      typeCounts: new Map(),
      members: [],
      merged: [],
      traits: undefined,
    });
  }

  attach(identifier: Identifier, profileId: ProfileId): void {
    const profile = this.#require(profileId);
    let values = this.#owners.get(identifier.type);
    if (values === undefined) this.#owners.set(identifier.type, (values = new Map()));
    if (values.has(identifier.value)) throw new Error(`${identifier.type}:${identifier.value} is already attached`);
    values.set(identifier.value, profileId);
    profile.identifierCount++;
    profile.typeCounts.set(identifier.type, (profile.typeCounts.get(identifier.type) ?? 0) + 1);
    // A copy from this allocation site: the caller's objects stay short-lived (V8 would otherwise
    // pretenure the extraction's allocation site because some of its objects end up stored here).
    profile.members.push({ type: identifier.type, value: identifier.value });
  }

  merge(from: ProfileId, into: ProfileId): readonly string[] {
    const source = this.#require(from);
    const target = this.#require(into);
    if (source === target) throw new Error(`cannot merge profile ${from} into itself`);
    this.#parent.set(from, into);
    this.#profiles.delete(from);
    target.identifierCount += source.identifierCount;
    target.mergeCount += source.mergeCount + 1;
    for (const [type, count] of source.typeCounts) target.typeCounts.set(type, (target.typeCounts.get(type) ?? 0) + count);
    for (const identifier of source.members) {
      this.#owners.get(identifier.type)!.set(identifier.value, into);
      target.members.push(identifier);
    }
    target.merged.push(from);
    for (const id of source.merged) target.merged.push(id);
    if (source.traits === undefined) return NONE;
    return mergeTraits((target.traits ??= new Map()), source.traits);
  }

  remember(messageId: string, profileId: ProfileId): void {
    if (this.#rememberMessages === 0) return;
    if (!this.#processed.has(messageId)) this.#order.push(messageId);
    this.#processed.set(messageId, profileId);
    // Oldest first, from our own queue: `map.keys().next()` walks over the entries deleted before
    // it (V8 keeps them until a rehash), which made this quadratic once the window was full.
    while (this.#processed.size > this.#rememberMessages && this.#head < this.#order.length) {
      this.#processed.delete(this.#order[this.#head++] as string);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Load persisted records (see `hydrate`); returns the conflicting records skipped with `onConflict: 'skip'`. */
  hydrate(records: IdentityRecords, options?: HydrateOptions): HydrationConflict[] {
    return hydrate(this, records, options);
  }

  /**
   * Forget whole profiles (any of their ids; merged-away ids are removed with their survivor), before
   * loading a recomputed replacement for them (see `recompute`).
   */
  evict(profileIds: Iterable<ProfileId>): void {
    const gone = new Set<ProfileId>();
    for (const id of profileIds) {
      const profile = this.#profiles.get(this.canonical(id));
      if (profile === undefined || gone.has(profile.id)) continue;
      gone.add(profile.id);
      for (const identifier of profile.members) this.#owners.get(identifier.type)?.delete(identifier.value);
      for (const merged of profile.merged) {
        this.#parent.delete(merged);
        gone.add(merged);
      }
      this.#profiles.delete(profile.id);
    }
    for (const [messageId, profileId] of this.#processed) if (gone.has(profileId)) this.#processed.delete(messageId);
  }

  /** Canonical ids of every live profile. */
  profileIds(): IterableIterator<ProfileId> {
    return this.#profiles.keys();
  }

  snapshot(): IdentitySnapshot {
    const profiles: ProfileSnapshot[] = [];
    for (const p of this.#profiles.values()) {
      profiles.push({
        id: p.id,
        createdAt: p.createdAt,
        createdBy: p.createdBy,
        identifiers: p.members.map((i) => `${i.type}:${i.value}`).sort(),
        mergedIds: [...p.merged].sort(),
        identifierCount: p.identifierCount,
        mergeCount: p.mergeCount,
        typeCounts: sortedRecord(p.typeCounts),
        traits: sortedRecord<TraitVersion>([...(p.traits ?? [])].map(([k, v]) => [k, { ...v }])),
      });
    }
    profiles.sort((a, b) => (a.id < b.id ? -1 : 1));
    return { profiles };
  }

  #require(profileId: ProfileId): Profile {
    const profile = this.#profiles.get(profileId);
    if (profile === undefined) throw new Error(`profile ${profileId} is not a live (canonical) profile`);
    return profile;
  }
}
