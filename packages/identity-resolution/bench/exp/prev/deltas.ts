/** The rows a batch of resolutions asks the caller to persist, gathered from the results. */
import type { ResolveResult } from './resolver.js';
import type { AttachmentRecord, MergeRecord, ProfileRecord, TraitRecord } from './store.js';

export interface IdentityDeltas {
  readonly profiles: ProfileRecord[];
  readonly attachments: AttachmentRecord[];
  readonly merges: MergeRecord[];
  /** Every new winning version; a later row for the same (profile, key) supersedes by `wins`. */
  readonly traits: TraitRecord[];
}

/** Concatenate the deltas of results, in order (what `store.hydrate` loads back). */
export function collectDeltas(results: Iterable<ResolveResult>): IdentityDeltas {
  const deltas: IdentityDeltas = { profiles: [], attachments: [], merges: [], traits: [] };
  for (const r of results) {
    if (r.createdProfile) deltas.profiles.push(r.createdProfile);
    deltas.attachments.push(...r.attached);
    deltas.merges.push(...r.merges);
    deltas.traits.push(...r.traits);
  }
  return deltas;
}
