/**
 * Rebuild a store from persisted records, in any order within each kind, ending in the state that
 * incremental ingestion produced. Counts are derived (from attachments and merges), never trusted
 * from rows. Records already reflected in the store are skipped, so loading twice is harmless.
 */
import type { AttachmentRecord, IdentityRecords, IdentityStore, MergeRecord } from './store.js';
import { applyTrait } from './traits.js';
import type { ProfileId } from './types.js';

export class IdentityHydrationError extends Error {
  override readonly name = 'IdentityHydrationError';
}

/**
 * A record that contradicts the others (or the store), never produced by one
 * writer applying the rules; written by a bug or by two writers at once. The
 * identifier's value is left out: conflicts are logged, and values are personal data.
 */
export type HydrationConflict = { messageId: string } & (
  | { kind: 'merge'; reason: 'unknown_profile' | 'merged_twice'; from: ProfileId; into: ProfileId }
  | { kind: 'attachment'; reason: 'unknown_profile' | 'attached_twice'; type: string; profileId: ProfileId }
  | { kind: 'trait'; reason: 'unknown_profile'; profileId: ProfileId; key: string }
);

export interface HydrateOptions {
  /**
   * `throw` (default): an `IdentityHydrationError` on the first conflict. `skip`: leave the conflicting
   * record out and go on (returned, to be reported); which record of a conflict is kept does not
   * depend on the order the records came in: merges and attachments apply earliest first (by `at`,
   * then ids), the first one kept.
   */
  onConflict?: 'throw' | 'skip';
}

function describe(c: HydrationConflict): string {
  switch (c.kind) {
    case 'merge':
      return c.reason === 'merged_twice' ? `profile ${c.from} is merged into two profiles (one is ${c.into})` : `merge ${c.from} -> ${c.into} references an unknown profile`;
    case 'attachment':
      return c.reason === 'attached_twice' ? `a ${c.type} identifier is attached to two profiles (one is ${c.profileId})` : `a ${c.type} attachment references unknown profile ${c.profileId}`;
    case 'trait':
      return `trait ${c.key} references unknown profile ${c.profileId}`;
  }
}

const byMergeTime = (a: MergeRecord, b: MergeRecord): number => a.at - b.at || compare(a.from, b.from) || compare(a.into, b.into);
const byAttachTime = (a: AttachmentRecord, b: AttachmentRecord): number =>
  a.at - b.at || compare(a.type, b.type) || compare(a.value, b.value) || compare(a.profileId, b.profileId);
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Load records into a store: profiles first, then merges, attachments and traits. Returns the conflicts skipped. */
export function hydrate(store: IdentityStore, records: IdentityRecords, options: HydrateOptions = {}): HydrationConflict[] {
  const conflicts: HydrationConflict[] = [];
  const conflict = (c: HydrationConflict): void => {
    if (options.onConflict !== 'skip') throw new IdentityHydrationError(describe(c));
    conflicts.push(c);
  };
  /** The live profile `profileId` now belongs to, or undefined when the store does not know it. */
  const live = (profileId: ProfileId): ProfileId | undefined => {
    const id = store.canonical(profileId);
    return store.profile(id) === undefined ? undefined : id;
  };

  for (const p of records.profiles ?? []) {
    if (store.canonical(p.profileId) === p.profileId && store.profile(p.profileId) === undefined) store.createProfile(p);
  }
  for (const m of [...(records.merges ?? [])].sort(byMergeTime)) {
    const into = live(m.into);
    const from = live(m.from);
    if (into === undefined || from === undefined) {
      conflict({ kind: 'merge', reason: 'unknown_profile', from: m.from, into: m.into, messageId: m.byMessageId });
      continue;
    }
    if (from === into) continue;
    // A profile is merged away at most once; a second target means the records disagree.
    if (from !== m.from) {
      conflict({ kind: 'merge', reason: 'merged_twice', from: m.from, into: m.into, messageId: m.byMessageId });
      continue;
    }
    store.merge(from, into);
  }
  for (const a of [...(records.attachments ?? [])].sort(byAttachTime)) {
    const profileId = live(a.profileId);
    if (profileId === undefined) {
      conflict({ kind: 'attachment', reason: 'unknown_profile', type: a.type, profileId: a.profileId, messageId: a.messageId });
      continue;
    }
    const owner = store.owner(a);
    if (owner === undefined) store.attach({ type: a.type, value: a.value }, profileId);
    else if (owner !== profileId) conflict({ kind: 'attachment', reason: 'attached_twice', type: a.type, profileId: a.profileId, messageId: a.messageId });
  }
  for (const t of records.traits ?? []) {
    const profileId = live(t.profileId);
    if (profileId === undefined) {
      conflict({ kind: 'trait', reason: 'unknown_profile', profileId: t.profileId, key: t.key, messageId: t.messageId });
      continue;
    }
    applyTrait(store.traits(profileId), t.key, { value: t.value, at: t.at, messageId: t.messageId, once: t.once });
  }
  return conflicts;
}
