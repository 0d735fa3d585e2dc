import type { AttachmentRecord, MergeRecord, ProfileRecord, TraitRecord } from '@cdp/identity-resolution';
import { isoTime as iso } from '../storage/time.js';
import { nextVersion } from './version.js';

/** JSONEachRow lines of the identity tables, from the resolver's deltas. */
export interface IdentityRows {
  profiles: string[];
  identities: string[];
  merges: string[];
  aliases: string[];
  traits: string[];
  warnings: string[];
}

export function emptyIdentityRows(): IdentityRows {
  return { profiles: [], identities: [], merges: [], aliases: [], traits: [], warnings: [] };
}


export function profileRow(workspaceId: string, p: ProfileRecord, deleted = 0): string {
  return JSON.stringify({
    workspace_id: workspaceId,
    profile_id: p.profileId,
    created_at: iso(p.createdAt),
    created_by: p.createdBy,
    deleted,
    version: nextVersion(),
  });
}

export function identityRow(workspaceId: string, a: AttachmentRecord, deleted = 0): string {
  return JSON.stringify({
    workspace_id: workspaceId,
    id_type: a.type,
    id_value: a.value,
    profile_id: a.profileId,
    message_id: a.messageId,
    attached_at: iso(a.at),
    deleted,
    version: nextVersion(),
  });
}

export function mergeRow(workspaceId: string, m: MergeRecord, deleted = 0): string {
  return JSON.stringify({
    workspace_id: workspaceId,
    from_profile: m.from,
    into_profile: m.into,
    by_message_id: m.byMessageId,
    at: iso(m.at),
    deleted,
    version: nextVersion(),
  });
}

export function aliasRow(workspaceId: string, profileId: string, canonicalId: string, deleted = 0): string {
  return JSON.stringify({ workspace_id: workspaceId, profile_id: profileId, canonical_id: canonicalId, deleted, version: nextVersion() });
}

export function traitRow(workspaceId: string, t: TraitRecord, deleted = 0): string {
  return JSON.stringify({
    workspace_id: workspaceId,
    profile_id: t.profileId,
    key: t.key,
    value: JSON.stringify(t.value) ?? 'null',
    at: iso(t.at),
    message_id: t.messageId,
    once: t.once ? 1 : 0,
    deleted,
    version: nextVersion(),
  });
}

export function warningRow(
  workspaceId: string,
  w: { messageId: string; receivedAt: string; warning: string; type: string; reason: string; detail: string },
): string {
  return JSON.stringify({
    workspace_id: workspaceId,
    received_at: w.receivedAt,
    message_id: w.messageId,
    warning: w.warning,
    id_type: w.type,
    reason: w.reason,
    detail: w.detail,
  });
}
