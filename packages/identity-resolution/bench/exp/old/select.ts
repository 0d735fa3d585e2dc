/**
 * Steps 1–2 of the algorithm: sort the event's identifiers by (priority, type, value) and keep each
 * one only while the union of the kept identifiers and their owning profiles stays within every
 * per-type limit and the caps. Reads the store, writes nothing.
 */
import type { IdentityConfig } from './config.js';
import type { IdentityStore } from './store.js';
import { NONE, type DroppedIdentifier, type Identifier, type ProfileId } from './types.js';

export interface Selection {
  readonly kept: readonly Identifier[];
  /** Canonical owners of kept identifiers, distinct, in walk order. */
  readonly owners: readonly ProfileId[];
  /** Kept identifiers nobody owns yet (to attach). */
  readonly fresh: readonly Identifier[];
  readonly dropped: readonly DroppedIdentifier[];
}

/** The walk's state; arrays are shared empties until first written (the hot path allocates little). */
interface Walk {
  kept: readonly Identifier[];
  owners: readonly ProfileId[];
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

function compare(config: IdentityConfig, a: Identifier, b: Identifier): number {
  const pa = config.types.get(a.type)?.priority ?? Infinity;
  const pb = config.types.get(b.type)?.priority ?? Infinity;
  if (pa !== pb) return pa - pb;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Sorted by (priority, type, value), exact duplicates removed. */
export function sortIdentifiers(config: IdentityConfig, identifiers: readonly Identifier[]): readonly Identifier[] {
  if (identifiers.length < 2) return identifiers;
  // Insertion sort: events carry a handful of identifiers, and Array.prototype.sort allocates ~1 KB
  // of sort state per call, which dominated the hot path.
  const sorted: Identifier[] = [];
  for (const id of identifiers) {
    let i = sorted.length;
    while (i > 0 && compare(config, sorted[i - 1]!, id) > 0) i--;
    if (i > 0 && compare(config, sorted[i - 1]!, id) === 0) continue;
    sorted.splice(i, 0, id);
  }
  return sorted;
}

/**
 * How many identifiers of `type` the tentative union holds. Computed on demand rather than kept in a
 * map: the common event (every identifier already in one profile) never needs it.
 */
function countOf(store: IdentityStore, walk: Walk, type: string): number {
  let count = 0;
  for (const owner of walk.owners) count += store.profile(owner)!.typeCounts.get(type) ?? 0;
  for (const id of walk.fresh) if (id.type === type) count++;
  return count;
}

function totals(store: IdentityStore, walk: Walk): { identifiers: number; merges: number } {
  let identifiers = walk.fresh.length;
  let merges = walk.owners.length > 0 ? walk.owners.length - 1 : 0;
  for (const owner of walk.owners) {
    const profile = store.profile(owner)!;
    identifiers += profile.identifierCount;
    merges += profile.mergeCount;
  }
  return { identifiers, merges };
}

function limitOf(config: IdentityConfig, type: string): number {
  return config.types.get(type)?.limit ?? Infinity;
}

/** Why adding `id` (owned by `owner`, or fresh) would break a limit or cap, if it would. */
function conflict(
  config: IdentityConfig,
  store: IdentityStore,
  walk: Walk,
  id: Identifier,
  owner: ProfileId | undefined,
): DroppedIdentifier['detail'] | undefined {
  const total = totals(store, walk);
  if (owner === undefined) {
    if (countOf(store, walk, id.type) + 1 > limitOf(config, id.type)) return 'type_limit';
    return total.identifiers + 1 > config.maxIdentifiersPerProfile ? 'identifier_cap' : undefined;
  }
  const profile = store.profile(owner)!;
  for (const [type, count] of profile.typeCounts) {
    if (countOf(store, walk, type) + count > limitOf(config, type)) return 'type_limit';
  }
  // Merging k owners into one adds k - 1 merges to those the owners already carry.
  const merges = total.merges + profile.mergeCount + (walk.owners.length > 0 ? 1 : 0);
  if (merges > config.maxMergesPerProfile) return 'merge_cap';
  return total.identifiers + profile.identifierCount > config.maxIdentifiersPerProfile ? 'identifier_cap' : undefined;
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
      ? { kept: sorted, owners: NONE, fresh: sorted, dropped: NONE }
      : { kept: sorted, owners: [owner], fresh: NONE, dropped: NONE };
  }
  const walk: Walk = { kept: NONE, owners: NONE, fresh: NONE, dropped: NONE };
  for (const id of sorted) {
    if (!config.types.has(id.type)) {
      drop(walk, id, 'invalid', 'unknown_type');
      continue;
    }
    if (options.isForeign?.(id)) {
      drop(walk, id, 'limit_conflict', 'owned_elsewhere');
      continue;
    }
    const owner = store.owner(id);
    if (owner !== undefined && walk.owners.includes(owner)) {
      walk.kept = append(walk.kept, id);
      continue;
    }
    // The first identifier is always kept.
    const detail = walk.kept.length === 0 ? undefined : conflict(config, store, walk, id, owner);
    if (detail !== undefined) {
      drop(walk, id, detail === 'type_limit' ? 'limit_conflict' : 'cap', detail);
      continue;
    }
    walk.kept = append(walk.kept, id);
    if (owner === undefined) walk.fresh = append(walk.fresh, id);
    else walk.owners = append(walk.owners, owner);
  }
  return walk;
}
