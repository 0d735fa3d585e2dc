/**
 * The resolver: steps 3–6 of the algorithm on top of `selectIdentifiers`. It writes to the store and
 * returns the deltas (created profile, attachments, merges, trait versions) for the caller to persist.
 * Serialize calls per workspace (rule 7): the store is synchronous, so one resolver per workspace on
 * one thread is enough.
 */
import type { IdentityConfig } from './config.js';
import { extractIdentifiers, type IdentityEvent } from './extract.js';
import { normalizeOrDrop } from './normalize.js';
import { defaultProfileId, type ProfileIdGenerator } from './profile-id.js';
import { selectIdentifiers, type Selection, type SelectOptions } from './select.js';
import { compareStrings, sortShort } from './sort.js';
import type { AttachmentRecord, IdentityStore, MergeRecord, ProfileRecord, TraitRecord } from './store.js';
import { foldTraits, type TraitState } from './traits.js';
import { NONE, type DroppedIdentifier, type Identifier, type ProfileId } from './types.js';

export interface ResolverOptions {
  readonly config: IdentityConfig;
  readonly store: IdentityStore;
  /** Deterministic id of a new profile from its creating event; default `defaultProfileId`. */
  readonly newProfileId?: ProfileIdGenerator;
  /** Recompute only: identifiers owned by profiles outside the recomputed set are left out. */
  readonly isForeign?: SelectOptions['isForeign'];
}

export interface ResolveInput {
  readonly messageId: string;
  /** Event timestamp, epoch ms: orders traits and dates created profiles and merges. */
  readonly timestamp: number;
  readonly type: string;
  /** Normalized identifiers, as `extractIdentifiers` returns them. */
  readonly identifiers: readonly Identifier[];
  /** Drops that happened before resolution (extraction), passed through to the result. */
  readonly dropped?: readonly DroppedIdentifier[];
  /** Alias events: typed as user_id when known as one, else as anonymous_id. */
  readonly previousId?: string;
  /** identify/group `traits` (with an optional `$set_once` object), folded into the profile. */
  readonly traits?: unknown;
}

/** An event as the resolver reads it: the structural event plus its id and timestamp (epoch ms). */
export interface ResolvableEvent extends IdentityEvent {
  readonly messageId: string;
  readonly timestamp: number;
}

export type IdentityWarning = 'no_valid_identifier' | 'limit_conflict' | 'cap_reached';

export interface ResolveResult {
  readonly messageId: string;
  /** The surviving profile, or null when the event has no valid identifier (store it without one). */
  readonly profileId: ProfileId | null;
  /**
   * The messageId had already changed the graph: nothing was applied and no deltas are returned.
   * (A repeated event that would change nothing resolves normally, to the same profile, with no deltas.)
   */
  readonly duplicate: boolean;
  readonly kept: readonly Identifier[];
  readonly dropped: readonly DroppedIdentifier[];
  readonly createdProfile: ProfileRecord | undefined;
  readonly attached: readonly AttachmentRecord[];
  readonly merges: readonly MergeRecord[];
  /** New winning trait versions of the surviving profile (from this event and from merges). */
  readonly traits: readonly TraitRecord[];
  readonly warnings: readonly IdentityWarning[];
}

function warningsOf(profileId: ProfileId | null, dropped: readonly DroppedIdentifier[]): readonly IdentityWarning[] {
  if (profileId !== null && dropped.length === 0) return NONE;
  const warnings: IdentityWarning[] = profileId === null ? ['no_valid_identifier'] : [];
  if (dropped.some((d) => d.reason === 'limit_conflict')) warnings.push('limit_conflict');
  if (dropped.some((d) => d.reason === 'cap')) warnings.push('cap_reached');
  return warnings;
}

/** Owner ids, earliest-created first (ties: smallest id): the first one survives a merge. */
function byCreation(selection: Selection): ProfileId[] {
  const { owners, states } = selection;
  const order = sortShort(
    owners.map((_, i) => i),
    (a, b) => states[a]!.createdAt - states[b]!.createdAt || compareStrings(owners[a]!, owners[b]!),
  );
  return order.map((i) => owners[i]!);
}

/** What `resolveEvent` resolves: identifiers extracted and normalized, traits split. */
export function toResolveInput(event: ResolvableEvent, config: IdentityConfig): ResolveInput {
  const extracted = extractIdentifiers(event, config);
  const traits = config.traitEventTypes.has(event.type) ? event.traits : undefined;
  const input: { -readonly [K in keyof ResolveInput]: ResolveInput[K] } = {
    messageId: event.messageId,
    timestamp: event.timestamp,
    type: event.type,
    identifiers: extracted.identifiers,
    dropped: extracted.dropped,
  };
  if (extracted.previousId !== undefined) input.previousId = extracted.previousId;
  if (traits !== undefined) input.traits = traits;
  return input;
}

export class Resolver {
  readonly config: IdentityConfig;
  readonly store: IdentityStore;
  readonly #newProfileId: ProfileIdGenerator;
  readonly #select: SelectOptions;

  constructor(options: ResolverOptions) {
    this.config = options.config;
    this.store = options.store;
    this.#newProfileId = options.newProfileId ?? defaultProfileId;
    this.#select = { isForeign: options.isForeign };
  }

  /** Extract, normalize and resolve one event, folding identify/group traits into the profile. */
  resolveEvent(event: ResolvableEvent): ResolveResult {
    return this.resolve(toResolveInput(event, this.config));
  }

  resolve(input: ResolveInput): ResolveResult {
    const { messageId, timestamp: at } = input;
    if (!Number.isFinite(at)) throw new TypeError(`timestamp of ${messageId} must be a finite epoch-ms number`);
    const store = this.store;

    let identifiers = input.identifiers;
    let aliasDrop: DroppedIdentifier | undefined;
    if (input.previousId !== undefined) {
      const previous = this.#aliasIdentifier(input.previousId);
      if ('reason' in previous) aliasDrop = previous;
      else identifiers = [...identifiers, previous];
    }
    const selection = selectIdentifiers(this.config, store, identifiers, this.#select);
    let dropped = input.dropped ?? NONE;
    if (aliasDrop !== undefined || selection.dropped.length > 0) {
      dropped = [...dropped, ...(aliasDrop ? [aliasDrop] : []), ...selection.dropped];
    }
    const first = selection.kept[0];
    if (first === undefined) return this.#result(messageId, null, selection.kept, dropped);
    const { owners, fresh } = selection;
    if (fresh.length > 0 || owners.length !== 1) {
      // This event would change the graph: apply it only once. (Events that change nothing need no
      // check: replaying them is a no-op, so the hot path skips the lookup.)
      const seen = store.processed(messageId);
      if (seen !== undefined) return this.#duplicate(messageId, store.canonical(seen), dropped);
    }

    let createdProfile: ProfileRecord | undefined;
    let profileId: ProfileId;
    let merges: readonly MergeRecord[] = NONE;
    let mergedKeys: Set<string> | undefined;
    if (owners.length === 0) {
      createdProfile = { profileId: this.#freshId(messageId, first), createdAt: at, createdBy: messageId };
      store.createProfile(createdProfile);
      profileId = createdProfile.profileId;
    } else if (owners.length === 1) {
      profileId = owners[0]!;
    } else {
      const [survivor, ...others] = byCreation(selection);
      const into = survivor!;
      merges = others.map((from) => {
        for (const key of store.merge(from, into)) (mergedKeys ??= new Set()).add(key);
        return { from, into, byMessageId: messageId, at };
      });
      profileId = into;
    }
    let attached: readonly AttachmentRecord[] = NONE;
    if (fresh.length > 0) {
      attached = fresh.map((id) => {
        store.attach(id, profileId);
        return { type: id.type, value: id.value, profileId, messageId, at };
      });
    }
    let traits: TraitState | undefined;
    let folded: string[] | undefined;
    if (input.traits !== undefined) {
      traits = store.traits(profileId);
      folded = foldTraits(traits, input.traits, { at, messageId, setOnceKeys: this.config.setOnceTraits });
    }
    if (createdProfile !== undefined || attached.length > 0 || merges.length > 0) store.remember(messageId, profileId);
    return this.#result(messageId, profileId, selection.kept, dropped, {
      createdProfile,
      attached,
      merges,
      traits: this.#traitRecords(profileId, traits, folded, mergedKeys),
    });
  }

  /** previousId is a user_id if the store knows it as one, else an anonymous_id (known or not). */
  #aliasIdentifier(previousId: string): Identifier | DroppedIdentifier {
    const asUser = normalizeOrDrop('user_id', previousId, this.config);
    if (!('reason' in asUser) && this.store.owner(asUser) !== undefined) return asUser;
    return normalizeOrDrop('anonymous_id', previousId, this.config);
  }

  /** The generator's id, re-derived (attempt 1, 2, ...) in the unlikely case it is taken. */
  #freshId(messageId: string, identifier: Identifier): ProfileId {
    for (let attempt = 0; ; attempt++) {
      const id = this.#newProfileId({ messageId, identifier, attempt });
      if (this.store.profile(id) === undefined && this.store.canonical(id) === id) return id;
      if (attempt >= 16) throw new Error(`profile id generator keeps returning taken ids (last: ${id})`);
    }
  }

  /**
   * Records of the changed trait keys (folded from the event, won in merges), sorted by key. Keys
   * folded from one event are distinct already: only merges need a set to combine both sources.
   */
  #traitRecords(
    profileId: ProfileId,
    traits: TraitState | undefined,
    folded: string[] | undefined,
    mergedKeys: Set<string> | undefined,
  ): readonly TraitRecord[] {
    let keys = folded;
    if (mergedKeys !== undefined) {
      for (const key of folded ?? NONE) mergedKeys.add(key);
      keys = [...mergedKeys];
    }
    if (keys === undefined || keys.length === 0) return NONE;
    const state = traits ?? this.store.traits(profileId);
    return sortShort(keys, compareStrings).map((key) => {
      const { value, at, messageId, once } = state.get(key)!;
      return { profileId, key, value, at, messageId, once };
    });
  }

  #duplicate(messageId: string, profileId: ProfileId, dropped: readonly DroppedIdentifier[]): ResolveResult {
    return { ...this.#result(messageId, profileId, NONE, dropped), duplicate: true };
  }

  #result(
    messageId: string,
    profileId: ProfileId | null,
    kept: readonly Identifier[],
    dropped: readonly DroppedIdentifier[],
    deltas?: Pick<ResolveResult, 'createdProfile' | 'attached' | 'merges' | 'traits'>,
  ): ResolveResult {
    return {
      messageId,
      profileId,
      duplicate: false,
      kept,
      dropped,
      createdProfile: deltas?.createdProfile,
      attached: deltas?.attached ?? NONE,
      merges: deltas?.merges ?? NONE,
      traits: deltas?.traits ?? NONE,
      warnings: warningsOf(profileId, dropped),
    };
  }
}
