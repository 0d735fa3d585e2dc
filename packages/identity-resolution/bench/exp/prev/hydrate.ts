/**
 * Rebuild a store from persisted records, in any order within each kind, ending in the state that
 * incremental ingestion produced. Counts are derived (from attachments and merges), never trusted
 * from rows. Records already reflected in the store are skipped, so loading twice is harmless.
 */
import type { IdentityRecords, IdentityStore } from './store.js';
import { applyTrait } from './traits.js';
import type { ProfileId } from './types.js';

export class IdentityHydrationError extends Error {
  override readonly name = 'IdentityHydrationError';
}

function live(store: IdentityStore, profileId: ProfileId, what: string): ProfileId {
  const id = store.canonical(profileId);
  if (store.profile(id) === undefined) throw new IdentityHydrationError(`${what} references unknown profile ${profileId}`);
  return id;
}

/** Load records into a store: profiles first, then merges, attachments and traits. */
export function hydrate(store: IdentityStore, records: IdentityRecords): void {
  for (const p of records.profiles ?? []) {
    if (store.canonical(p.profileId) === p.profileId && store.profile(p.profileId) === undefined) store.createProfile(p);
  }
  for (const m of records.merges ?? []) {
    const into = live(store, m.into, `merge ${m.from} -> ${m.into}`);
    const from = live(store, m.from, `merge ${m.from} -> ${m.into}`);
    if (from === into) continue;
    // A profile is merged away at most once; a second target means the records disagree.
    if (from !== m.from) throw new IdentityHydrationError(`profile ${m.from} is merged into both ${from} and ${m.into}`);
    store.merge(from, into);
  }
  for (const a of records.attachments ?? []) {
    const profileId = live(store, a.profileId, `attachment ${a.type}:${a.value}`);
    const owner = store.owner(a);
    if (owner === undefined) store.attach({ type: a.type, value: a.value }, profileId);
    else if (owner !== profileId) {
      throw new IdentityHydrationError(`${a.type}:${a.value} is attached to both ${owner} and ${a.profileId}`);
    }
  }
  for (const t of records.traits ?? []) {
    const version = { value: t.value, at: t.at, messageId: t.messageId, once: t.once };
    applyTrait(store.traits(live(store, t.profileId, `trait ${t.key}`)), t.key, version);
  }
}
