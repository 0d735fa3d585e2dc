import type {
  AttachmentRecord,
  Identifier,
  IdentityRecords,
  MergeRecord,
  ProfileRecord,
  TraitRecord,
} from '@cdp/identity-resolution';
import type { ClickHouseTransport, QueryParams } from '../storage/transport.js';
import { chToIso } from '../storage/time.js';

const ms = (chTime: string) => Date.parse(chToIso(chTime));

/**
 * Reads whole components (a surviving profile and every profile merged into
 * it, with their identifiers, merges and traits) from ClickHouse, for the
 * identifiers a batch mentions that the in-memory store does not know. A
 * component is always loaded complete, so the store never holds half of one.
 */
export async function loadComponents(
  transport: ClickHouseTransport,
  workspaceId: string,
  identifiers: readonly Identifier[],
): Promise<{ records: IdentityRecords; found: Set<string>; followedMerges: number }> {
  const found = new Set<string>();
  if (identifiers.length === 0) return { records: {}, found, followedMerges: 0 };
  const byType = new Map<string, string[]>();
  for (const id of identifiers) {
    let values = byType.get(id.type);
    if (values === undefined) byType.set(id.type, (values = []));
    values.push(id.value);
  }
  const params: QueryParams = { w: workspaceId };
  const clauses: string[] = [];
  let i = 0;
  for (const [type, values] of byType) {
    params[`t${i}`] = type;
    params[`v${i}`] = values;
    clauses.push(`(id_type = {t${i}:String} AND id_value IN {v${i}:Array(String)})`);
    i++;
  }
  // Aggregates get names of their own: an alias equal to a column would shadow it in WHERE.
  const owners = await transport.query<{ id_type: string; id_value: string; owner: string }>(
    `SELECT id_type, id_value, argMax(profile_id, version) AS owner
     FROM identities
     WHERE workspace_id = {w:String} AND (${clauses.join(' OR ')})
     GROUP BY id_type, id_value
     HAVING argMax(deleted, version) = 0`,
    params,
  );
  if (owners.length === 0) return { records: {}, found, followedMerges: 0 };
  for (const o of owners) found.add(`${o.id_type}:${o.id_value}`);

  let all = await componentsOf(transport, workspaceId, [...new Set(owners.map((o) => o.owner))]);
  let rows = await componentRows(transport, workspaceId, all);
  // The alias map is derived from the merges; should it lack a row, the merges still say where a profile went.
  // Follow them, rather than hand the store a merge into a profile it does not have: it refuses that, and the
  // flusher would retry the batch forever.
  let followedMerges = 0;
  for (let round = 0; round < MAX_MERGE_ROUNDS; round++) {
    const known = new Set(all);
    const missing = [...new Set(rows.merges.map((m) => m.into).filter((id) => !known.has(id)))];
    if (missing.length === 0) break;
    followedMerges += missing.length;
    all = [...new Set([...all, ...(await componentsOf(transport, workspaceId, missing))])];
    rows = await componentRows(transport, workspaceId, all);
  }
  const { profiles, attachments, merges, traits } = rows;
  const records: IdentityRecords = {
    profiles: profiles.map((p): ProfileRecord => ({ profileId: p.profile_id, createdAt: ms(p.created), createdBy: p.creator })),
    attachments: attachments.map(
      (a): AttachmentRecord => ({ type: a.id_type, value: a.id_value, profileId: a.owner, messageId: a.mid, at: ms(a.attached) }),
    ),
    merges: merges.map((m): MergeRecord => ({ from: m.from_profile, into: m.into, byMessageId: m.mid, at: ms(m.merged) })),
    traits: traits.map(
      (t): TraitRecord => ({
        profileId: t.profile_id,
        key: t.key,
        value: JSON.parse(t.val) as unknown,
        at: ms(t.written),
        messageId: t.mid,
        once: Number(t.set_once) === 1,
      }),
    ),
  };
  return { records, found, followedMerges };
}

/** Rounds of following merges past the alias map (each one link of a chain the map lacks). */
const MAX_MERGE_ROUNDS = 8;

/** The surviving profiles of `ownerIds` (through the alias map) and every profile merged into them. */
async function componentsOf(transport: ClickHouseTransport, workspaceId: string, ownerIds: readonly string[]): Promise<string[]> {
  const aliased = await transport.query<{ profile_id: string; survivor: string }>(
    `SELECT profile_id, argMax(canonical_id, version) AS survivor
     FROM profile_aliases
     WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
     GROUP BY profile_id
     HAVING argMax(deleted, version) = 0`,
    { w: workspaceId, ids: ownerIds },
  );
  const canonicalOf = new Map(aliased.map((a) => [a.profile_id, a.survivor]));
  const canonicals = [...new Set(ownerIds.map((id) => canonicalOf.get(id) ?? id))];
  const members = await transport.query<{ profile_id: string }>(
    `SELECT profile_id
     FROM profile_aliases
     WHERE workspace_id = {w:String} AND canonical_id IN {c:Array(String)}
     GROUP BY profile_id
     HAVING argMax(canonical_id, version) IN {c:Array(String)} AND argMax(deleted, version) = 0`,
    { w: workspaceId, c: canonicals },
  );
  return [...new Set([...canonicals, ...members.map((m) => m.profile_id)])];
}

/** The persisted rows of the profiles `all`. */
async function componentRows(transport: ClickHouseTransport, workspaceId: string, all: readonly string[]) {
  const scope = { w: workspaceId, ids: [...all] };
  const [profiles, attachments, merges, traits] = await Promise.all([
    transport.query<{ profile_id: string; created: string; creator: string }>(
      `SELECT profile_id, argMax(created_at, version) AS created, argMax(created_by, version) AS creator
       FROM profiles WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
       GROUP BY profile_id HAVING argMax(deleted, version) = 0`,
      scope,
    ),
    transport.query<{ id_type: string; id_value: string; owner: string; mid: string; attached: string }>(
      `SELECT id_type, id_value, argMax(profile_id, version) AS owner,
              argMax(message_id, version) AS mid, argMax(attached_at, version) AS attached
       FROM identities WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
       GROUP BY id_type, id_value
       HAVING argMax(deleted, version) = 0 AND argMax(profile_id, version) IN {ids:Array(String)}`,
      scope,
    ),
    transport.query<{ from_profile: string; into: string; mid: string; merged: string }>(
      `SELECT from_profile, argMax(into_profile, version) AS into,
              argMax(by_message_id, version) AS mid, argMax(at, version) AS merged
       FROM profile_merges WHERE workspace_id = {w:String} AND from_profile IN {ids:Array(String)}
       GROUP BY from_profile HAVING argMax(deleted, version) = 0`,
      scope,
    ),
    transport.query<{ profile_id: string; key: string; val: string; written: string; mid: string; set_once: number }>(
      `SELECT profile_id, key, argMax(value, version) AS val, argMax(at, version) AS written,
              argMax(message_id, version) AS mid, argMax(once, version) AS set_once
       FROM profile_traits WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
       GROUP BY profile_id, key HAVING argMax(deleted, version) = 0`,
      scope,
    ),
  ]);
  return { profiles, attachments, merges, traits };
}
