/**
 * Unmerge by recomputation (identity-rules.md, Algorithm step 8): block the identifier that glued
 * people together, find the profiles it touches, replay their events in original order under the new
 * configuration, and swap the old profiles for the recomputed ones.
 */
import type { IdentityConfig } from './config.js';
import { collectDeltas } from './deltas.js';
import { MemoryIdentityStore } from './memory-store.js';
import { normalizeText, normalizeValue } from './normalizers.js';
import type { ProfileIdGenerator } from './profile-id.js';
import { Resolver, type ResolvableEvent } from './resolver.js';
import type { AttachmentRecord, IdentityStore, MergeRecord, ProfileRecord, TraitRecord } from './store.js';
import type { Identifier, ProfileId } from './types.js';

export interface AffectedProfiles {
  /** Canonical profiles owning at least one of the identifiers, sorted. */
  readonly profileIds: readonly ProfileId[];
  /** Those plus every id merged into them, sorted: the profile ids their stored events carry. */
  readonly allIds: readonly ProfileId[];
  /** Every identifier of those profiles. */
  readonly identifiers: readonly Identifier[];
}

/**
 * Profiles touched by identifiers given raw (`{ type, value }` as a user typed them). Values are
 * normalized for their type but not checked against the blocklist: they usually are being blocked.
 */
export function affectedProfiles(params: {
  readonly store: IdentityStore;
  readonly config: IdentityConfig;
  readonly identifiers: Iterable<{ readonly type: string; readonly value: string }>;
}): AffectedProfiles {
  const { store, config } = params;
  const owners = new Set<ProfileId>();
  for (const raw of params.identifiers) {
    const spec = config.types.get(raw.type);
    const text = normalizeText(raw.value);
    const normalized = spec === undefined || text === '' ? undefined : normalizeValue(spec.normalizer, text);
    const owner = typeof normalized === 'string' ? store.owner({ type: raw.type, value: normalized }) : undefined;
    if (owner !== undefined) owners.add(owner);
  }
  const profileIds = [...owners].sort();
  const allIds = profileIds.flatMap((id) => [id, ...store.mergedIds(id)]).sort();
  return { profileIds, allIds, identifiers: profileIds.flatMap((id) => store.identifiersOf(id)) };
}

/** For `recompute`: identifiers owned by a profile outside the affected set stay out of the replay. */
export function ownedOutside(store: IdentityStore, affected: AffectedProfiles): (identifier: Identifier) => boolean {
  const inside = new Set(affected.profileIds);
  return (identifier) => {
    const owner = store.owner(identifier);
    return owner !== undefined && !inside.has(owner);
  };
}

export interface RecomputeOptions {
  /** The workspace configuration to replay under (typically with the glue identifier blocked). */
  readonly config: IdentityConfig;
  /** The events of the affected profiles, in original (arrival) order. */
  readonly events: Iterable<ResolvableEvent>;
  readonly newProfileId?: ProfileIdGenerator;
  /** Identifiers owned elsewhere (see `ownedOutside`); default none. */
  readonly isForeign?: (identifier: Identifier) => boolean;
}

export interface RecomputedRecords {
  /** Every profile created by the replay, including those merged away during it. */
  readonly profiles: readonly ProfileRecord[];
  readonly attachments: readonly AttachmentRecord[];
  readonly merges: readonly MergeRecord[];
  /** Final winning trait versions of the surviving profiles. */
  readonly traits: readonly TraitRecord[];
}

export interface RecomputeResult {
  /** The recomputed state on its own. */
  readonly store: MemoryIdentityStore;
  readonly records: RecomputedRecords;
  /** Per event: the profile it resolved to during the replay, and that profile's survivor at the end. */
  readonly assignments: readonly {
    readonly messageId: string;
    readonly profileId: ProfileId | null;
    readonly canonicalId: ProfileId | null;
  }[];
}

/**
 * Replay events into a fresh store. To apply the result to a live store:
 * `store.evict(affected.allIds); store.hydrate(result.records)`.
 */
export function recompute(options: RecomputeOptions): RecomputeResult {
  const store = new MemoryIdentityStore();
  const resolver = new Resolver({
    config: options.config,
    store,
    ...(options.newProfileId ? { newProfileId: options.newProfileId } : {}),
    ...(options.isForeign ? { isForeign: options.isForeign } : {}),
  });
  const results = [...options.events].map((event) => resolver.resolveEvent(event));
  const { profiles, attachments, merges } = collectDeltas(results);
  const resolved = results.filter((r) => !r.duplicate);
  const traits: TraitRecord[] = [];
  for (const profileId of [...store.profileIds()].sort()) {
    for (const [key, version] of store.traits(profileId)) traits.push({ profileId, key, ...version });
  }
  return {
    store,
    records: { profiles, attachments, merges, traits },
    assignments: resolved.map(({ messageId, profileId }) => ({
      messageId,
      profileId,
      canonicalId: profileId === null ? null : store.canonical(profileId),
    })),
  };
}
