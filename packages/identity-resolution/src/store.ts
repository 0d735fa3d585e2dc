/**
 * The state the resolver reads and writes, behind a small synchronous interface (resolution is an
 * in-process hot path; persistence is the caller's job, from the deltas the resolver returns), and the
 * persisted record shapes that rebuild it.
 */
import type { TraitState, TraitVersion } from './traits.js';
import type { Identifier, ProfileId } from './types.js';

export interface ProfileState {
  readonly id: ProfileId;
  /** Timestamp (epoch ms) of the event that created the profile: merges keep the earliest. */
  readonly createdAt: number;
  readonly createdBy: string;
  /** Identifiers attached to this profile and to every profile merged into it. */
  readonly identifierCount: number;
  /** Profiles merged into this one, directly or through earlier merges. */
  readonly mergeCount: number;
  readonly typeCounts: ReadonlyMap<string, number>;
}

export interface IdentityStore {
  /** The canonical profile owning an identifier. */
  owner(identifier: Identifier): ProfileId | undefined;
  /** Follow merges to the surviving profile (the id itself when never merged away). */
  canonical(profileId: ProfileId): ProfileId;
  /** State of a canonical profile. */
  profile(profileId: ProfileId): ProfileState | undefined;
  /** Mutable traits of a canonical profile (created on first use). */
  traits(profileId: ProfileId): TraitState;
  /**
   * Identifiers of a canonical profile: exactly those whose `owner` is this profile (the resolver
   * relies on it to find owners in a profile's own list before asking the index).
   */
  identifiersOf(profileId: ProfileId): readonly Identifier[];
  /** Ids merged into a canonical profile, directly or not. */
  mergedIds(profileId: ProfileId): readonly ProfileId[];
  /** Profile recorded for an already processed messageId (only events that changed state are kept). */
  processed(messageId: string): ProfileId | undefined;

  createProfile(record: ProfileRecord): void;
  /** Attach a new identifier to a canonical profile. */
  attach(identifier: Identifier, profileId: ProfileId): void;
  /** Merge canonical `from` into canonical `into` (counts, identifiers, traits); returns changed trait keys. */
  merge(from: ProfileId, into: ProfileId): readonly string[];
  remember(messageId: string, profileId: ProfileId): void;
}

/** A profile as persisted (one row per created profile, including ones merged away later). */
export interface ProfileRecord {
  readonly profileId: ProfileId;
  readonly createdAt: number;
  readonly createdBy: string;
}

/** An identifier attached to a profile; never rewritten on merge (read through `canonical`). */
export interface AttachmentRecord {
  readonly type: string;
  readonly value: string;
  readonly profileId: ProfileId;
  readonly messageId: string;
  readonly at: number;
}

export interface MergeRecord {
  readonly from: ProfileId;
  readonly into: ProfileId;
  readonly byMessageId: string;
  /** Timestamp of the event that caused the merge. */
  readonly at: number;
}

/** The winning version of one trait key of a profile (later rows for the same key supersede by `wins`). */
export interface TraitRecord extends TraitVersion {
  readonly profileId: ProfileId;
  readonly key: string;
}

export interface IdentityRecords {
  readonly profiles?: Iterable<ProfileRecord>;
  readonly attachments?: Iterable<AttachmentRecord>;
  readonly merges?: Iterable<MergeRecord>;
  readonly traits?: Iterable<TraitRecord>;
}

export interface ProfileSnapshot {
  readonly id: ProfileId;
  readonly createdAt: number;
  readonly createdBy: string;
  /** `type:value`, sorted. */
  readonly identifiers: readonly string[];
  readonly mergedIds: readonly ProfileId[];
  readonly identifierCount: number;
  readonly mergeCount: number;
  readonly typeCounts: Readonly<Record<string, number>>;
  readonly traits: Readonly<Record<string, TraitVersion>>;
}

/** Canonical, comparable description of a store (profiles sorted by id, everything inside sorted). */
export interface IdentitySnapshot {
  readonly profiles: readonly ProfileSnapshot[];
}
