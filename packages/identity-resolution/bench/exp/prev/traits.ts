/**
 * Profile traits (identity-rules.md, Algorithm step 5). Each key keeps the version that wrote it, and
 * the winner is the maximum of one total order, so folding is commutative, associative and idempotent:
 * arrival order, replays and merges all end in the same traits.
 *
 * Order: a regular write beats any set-once write (set-once never overrides a value that was set);
 * between regular writes the later (timestamp, then larger messageId) wins; between set-once writes
 * the earlier (timestamp, then smaller messageId) wins.
 */

export interface TraitVersion {
  readonly value: unknown;
  /** Event timestamp, epoch ms. */
  readonly at: number;
  readonly messageId: string;
  /** Written as set-once (earliest wins). */
  readonly once: boolean;
}

/** Traits of one profile, key → winning version. Owned and mutated by the store. */
export type TraitState = Map<string, TraitVersion>;

/** The key, inside traits, of an object whose entries are written set-once (PostHog's convention). */
export const SET_ONCE_KEY = '$set_once';

/** How one event writes its traits. */
export interface TraitWriteOptions {
  readonly at: number;
  readonly messageId: string;
  /** Keys always written set-once (`setOnceTraits` of the configuration). */
  readonly setOnceKeys: ReadonlySet<string>;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True when a write of kind `once` at (`at`, `messageId`) replaces `current`, under the order above. */
function outranks(once: boolean, at: number, messageId: string, current: TraitVersion): boolean {
  if (once !== current.once) return !once;
  const cmp = at - current.at || (messageId < current.messageId ? -1 : messageId > current.messageId ? 1 : 0);
  return once ? cmp < 0 : cmp > 0;
}

/** True when `next` replaces `current` under the order described above. */
export function wins(next: TraitVersion, current: TraitVersion | undefined): boolean {
  return current === undefined || outranks(next.once, next.at, next.messageId, current);
}

/** Apply one version of one key; returns whether it changed the state. */
export function applyTrait(state: TraitState, key: string, version: TraitVersion): boolean {
  if (!wins(version, state.get(key))) return false;
  state.set(key, version);
  return true;
}

type MutableVersion = { -readonly [K in keyof TraitVersion]: TraitVersion[K] };

function offer(state: TraitState, key: string, value: unknown, once: boolean, o: TraitWriteOptions, changed: string[]) {
  const current = state.get(key) as MutableVersion | undefined;
  if (current === undefined) {
    state.set(key, { value, at: o.at, messageId: o.messageId, once });
  } else {
    if (!outranks(once, o.at, o.messageId, current)) return;
    // Update in place: identify calls re-send the same traits, and a new object per key per event
    // only made garbage in old space. The store owns these objects; readers copy what they keep.
    current.value = value;
    current.at = o.at;
    current.messageId = o.messageId;
    current.once = once;
  }
  if (!changed.includes(key)) changed.push(key);
}

/**
 * Fold one event's traits (an identify/group `traits` object) into a profile's; entries of
 * `$set_once` and configured keys are written set-once. Returns the changed keys (to persist).
 */
export function foldTraits(state: TraitState, traits: unknown, options: TraitWriteOptions): string[] {
  const changed: string[] = [];
  if (!isObject(traits)) return changed;
  for (const key in traits) {
    if (!Object.hasOwn(traits, key)) continue;
    const value = traits[key];
    if (key === SET_ONCE_KEY && isObject(value)) {
      for (const inner in value) if (Object.hasOwn(value, inner)) offer(state, inner, value[inner], true, options, changed);
    } else {
      const once = options.setOnceKeys.size > 0 && options.setOnceKeys.has(key);
      offer(state, key, value, once, options, changed);
    }
  }
  return changed;
}

/** Merge `from` into `into` with the same rule (profile merge); returns the changed keys of `into`. */
export function mergeTraits(into: TraitState, from: ReadonlyMap<string, TraitVersion>): string[] {
  const changed: string[] = [];
  for (const [key, version] of from) if (applyTrait(into, key, version)) changed.push(key);
  return changed;
}

/** Plain values of a trait state, keys sorted (for reading a profile). */
export function traitValues(state: ReadonlyMap<string, TraitVersion>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...state.keys()].sort()) out[key] = state.get(key)!.value;
  return out;
}
