/**
 * Steps 1–2 of the algorithm: sort the event's identifiers by (priority, type, value) and keep each
 * one only while the union of the kept identifiers and their owning profiles stays within every
 * per-type limit and the caps. Reads the store, writes nothing.
 */
import type { IdentityConfig } from './config.js';
import { compareStrings } from './sort.js';
import type { IdentityStore, ProfileState } from './store.js';
import { NONE, type DroppedIdentifier, type Identifier, type ProfileId } from './types.js';

export interface Selection {
  readonly kept: readonly Identifier[];
  /** Canonical owners of kept identifiers, distinct, in walk order. */
  readonly owners: readonly ProfileId[];
  /**
   * States of the owners, same order, as far as the walk needed them: complete whenever there are two
   * or more owners (each profile is read from the store once per event, not once per check).
   */
  readonly states: readonly ProfileState[];
  /** Kept identifiers nobody owns yet (to attach). */
  readonly fresh: readonly Identifier[];
  readonly dropped: readonly DroppedIdentifier[];
}

/** The walk's state; arrays are shared empties until first written (the hot path allocates little). */
interface Walk {
  kept: readonly Identifier[];
  owners: readonly ProfileId[];
  states: readonly ProfileState[];
  fresh: readonly Identifier[];
  dropped: readonly DroppedIdentifier[];
}

function append<T>(list: readonly T[], item: T): readonly T[] {
  if (list.length === 0) return [item];
  (list as T[]).push(item);
  return list;
}

function drop(walk: Walk, id: Identifier, reason: DroppedIdentifier['reason'], detail: DroppedIdentifier['detail']) {
  walk.dropped = append(walk.dropped, { type: id.type, value: id.value, reason, detail });
}

function priorityOf(config: IdentityConfig, type: string): number {
  return config.types.get(type)?.priority ?? Infinity;
}

/** Order of (priority, type, value); priorities are passed in, looked up once per identifier. */
function compare(pa: number, a: Identifier, pb: number, b: Identifier): number {
  if (pa !== pb) return pa - pb;
  return a.type !== b.type ? compareStrings(a.type, b.type) : compareStrings(a.value, b.value);
}

/** Sorted by (priority, type, value), exact duplicates removed. */
export function sortIdentifiers(config: IdentityConfig, identifiers: readonly Identifier[]): readonly Identifier[] {
  if (identifiers.length < 2) return identifiers;
  // Insertion sort: events carry a handful of identifiers, and Array.prototype.sort allocates its
  // sort state on every call, which dominated the hot path.
  const sorted: Identifier[] = [];
  const priorities: number[] = [];
  for (const id of identifiers) {
    const priority = priorityOf(config, id.type);
    let i = sorted.length;
    let order = 1;
    while (i > 0 && (order = compare(priorities[i - 1]!, sorted[i - 1]!, priority, id)) > 0) i--;
    if (i > 0 && order === 0) continue;
    sorted.push(id);
    priorities.push(priority);
    for (let j = sorted.length - 1; j > i; j--) {
      sorted[j] = sorted[j - 1]!;
      priorities[j] = priorities[j - 1]!;
    }
    sorted[i] = id;
    priorities[i] = priority;
  }
  return sorted;
}

/** Read the states of owners the walk has not needed so far (only the first owner can be missing). */
function statesOf(store: IdentityStore, walk: Walk): readonly ProfileState[] {
  for (let i = walk.states.length; i < walk.owners.length; i++) walk.states = append(walk.states, store.profile(walk.owners[i]!)!);
  return walk.states;
}

/**
 * How many identifiers of `type` the tentative union holds. Computed on demand rather than kept in a
 * map: the common event (every identifier already in one profile) never needs it.
 */
function countOf(states: readonly ProfileState[], walk: Walk, type: string): number {
  let count = 0;
  for (const state of states) count += state.typeCounts.get(type) ?? 0;
  for (const id of walk.fresh) if (id.type === type) count++;
  return count;
}

function limitOf(config: IdentityConfig, type: string): number {
  return config.types.get(type)?.limit ?? Infinity;
}

/** Why adding `id` (owned by the profile `owner`, or fresh) would break a limit or cap, if it would. */
function conflict(
  config: IdentityConfig,
  states: readonly ProfileState[],
  walk: Walk,
  id: Identifier,
  owner: ProfileState | undefined,
): DroppedIdentifier['detail'] | undefined {
  let identifiers = walk.fresh.length;
  // Merging k owners into one adds k - 1 merges to those the owners already carry.
  let merges = states.length > 0 ? states.length - 1 : 0;
  for (const state of states) {
    identifiers += state.identifierCount;
    merges += state.mergeCount;
  }
  if (owner === undefined) {
    if (countOf(states, walk, id.type) + 1 > limitOf(config, id.type)) return 'type_limit';
    return identifiers + 1 > config.maxIdentifiersPerProfile ? 'identifier_cap' : undefined;
  }
  for (const [type, count] of owner.typeCounts) {
    if (countOf(states, walk, type) + count > limitOf(config, type)) return 'type_limit';
  }
  if (merges + owner.mergeCount + (states.length > 0 ? 1 : 0) > config.maxMergesPerProfile) return 'merge_cap';
  return identifiers + owner.identifierCount > config.maxIdentifiersPerProfile ? 'identifier_cap' : undefined;
}

/** Profiles with up to this many identifiers are scanned before the store's index is asked. */
const SCAN_MEMBERS = 16;

/**
 * The canonical owner of `id`. An identifier of the profile the walk found first is looked for in
 * that profile's own short list before the store's index: an identify of a known user re-sends
 * identifiers the profile already has, and a lookup in the index (large maps, a fresh string to hash)
 * costs cache misses the short list, read anyway for the profile, does not. `identifiersOf(p)` lists
 * exactly the identifiers whose owner is `p`, so both give the same answer.
 */
function ownerOf(store: IdentityStore, walk: Walk, id: Identifier): ProfileId | undefined {
  const first = walk.owners[0];
  if (first !== undefined) {
    const members = store.identifiersOf(first);
    if (members.length <= SCAN_MEMBERS) {
      for (const member of members) if (member.value === id.value && member.type === id.type) return first;
    }
  }
  return store.owner(id);
}

export interface SelectOptions {
  /** Identifiers to leave out as owned by profiles outside the recomputed set (recompute only). */
  readonly isForeign?: ((identifier: Identifier) => boolean) | undefined;
}

export function selectIdentifiers(
  config: IdentityConfig,
  store: IdentityStore,
  identifiers: readonly Identifier[],
  options: SelectOptions = {},
): Selection {
  const sorted = sortIdentifiers(config, identifiers);
  const only = sorted.length === 1 ? sorted[0]! : undefined;
  if (only !== undefined && options.isForeign === undefined && config.types.has(only.type)) {
    // Most events carry one identifier: no union to track.
    const owner = store.owner(only);
    return owner === undefined
      ? { kept: sorted, owners: NONE, states: NONE, fresh: sorted, dropped: NONE }
      : { kept: sorted, owners: [owner], states: NONE, fresh: NONE, dropped: NONE };
  }
  const walk: Walk = { kept: NONE, owners: NONE, states: NONE, fresh: NONE, dropped: NONE };
  for (const id of sorted) {
    if (!config.types.has(id.type)) {
      drop(walk, id, 'invalid', 'unknown_type');
      continue;
    }
    if (options.isForeign?.(id)) {
      drop(walk, id, 'limit_conflict', 'owned_elsewhere');
      continue;
    }
    const owner = ownerOf(store, walk, id);
    if (owner !== undefined && walk.owners.includes(owner)) {
      walk.kept = append(walk.kept, id);
      continue;
    }
    // The first identifier is always kept.
    if (walk.kept.length === 0) {
      walk.kept = append(walk.kept, id);
      if (owner === undefined) walk.fresh = append(walk.fresh, id);
      else walk.owners = append(walk.owners, owner);
      continue;
    }
    const states = statesOf(store, walk);
    const state = owner === undefined ? undefined : store.profile(owner)!;
    const detail = conflict(config, states, walk, id, state);
    if (detail !== undefined) {
      drop(walk, id, detail === 'type_limit' ? 'limit_conflict' : 'cap', detail);
      continue;
    }
    walk.kept = append(walk.kept, id);
    if (owner === undefined) walk.fresh = append(walk.fresh, id);
    else {
      walk.owners = append(walk.owners, owner);
      walk.states = append(walk.states, state!);
    }
  }
  return walk;
}
