import type { Identifier } from '@cdp/identity-resolution';
import { dedupe } from '../identity/service.js';
import { membersOf, ownerOf, survivorOf } from '../profiles/queries.js';
import type { ClickHouseTransport } from '../storage/transport.js';

/** Who a data-subject request is about, as given (the identifier already normalized). */
export type Subject = { identifier: Identifier } | { profileId: string };

/** Everything that identifies one person in a workspace. */
export interface PersonScope {
  /** The live profile (survivor) when there is one. */
  survivor: string | undefined;
  /**
   * The survivor, every id merged into it, and retired ids (replaced by an
   * unmerge) that once held the person's identifiers.
   */
  profileIds: string[];
  /** Every live identifier of those profiles, plus the one the request named. */
  identifiers: Identifier[];
}

export function subjectText(subject: Subject): string {
  return 'profileId' in subject ? `profile:${subject.profileId}` : identifierKey(subject.identifier);
}

export function parseSubjectText(text: string): Subject {
  const colon = text.indexOf(':');
  const type = text.slice(0, colon);
  const value = text.slice(colon + 1);
  return type === 'profile' ? { profileId: value } : { identifier: { type, value } };
}

/** An identifier as one text (types never contain ':'), and the same key computed in SQL from `identities`. */
export const identifierKey = (id: Identifier): string => `${id.type}:${id.value}`;
export const IDENTIFIER_KEY = "concat(id_type, ':', id_value)";

/** Resolves a subject to the person's profiles and identifiers, from ClickHouse. */
export async function resolvePerson(t: ClickHouseTransport, workspaceId: string, subject: Subject): Promise<PersonScope> {
  const survivor =
    'profileId' in subject
      ? await survivorOf(t, workspaceId, subject.profileId)
      : await ownerOf(t, workspaceId, subject.identifier.type, subject.identifier.value);
  const members = survivor === undefined ? ('profileId' in subject ? [subject.profileId] : []) : await membersOf(t, workspaceId, survivor);
  const live =
    members.length === 0
      ? []
      : await t.query<{ id_type: string; id_value: string }>(
          `SELECT id_type, id_value FROM identities
           WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
           GROUP BY id_type, id_value
           HAVING argMax(deleted, version) = 0 AND argMax(profile_id, version) IN {ids:Array(String)}`,
          { w: workspaceId, ids: members },
        );
  const identifiers = dedupe([
    ...live.map((r) => ({ type: r.id_type, value: r.id_value })),
    ...('identifier' in subject ? [subject.identifier] : []),
  ]);
  return { survivor, profileIds: [...members, ...(await retiredIds(t, workspaceId, identifiers, members))], identifiers };
}

/**
 * Profile ids an unmerge retired (their rows are all marked deleted) that
 * once owned one of the identifiers: their tombstone rows still name them.
 * Ids that are live, including ids merged into someone else, are never taken.
 */
async function retiredIds(t: ClickHouseTransport, workspaceId: string, identifiers: Identifier[], members: string[]): Promise<string[]> {
  if (identifiers.length === 0) return [];
  const rows = await t.query<{ profile_id: string }>(
    `SELECT profile_id FROM profiles
     WHERE workspace_id = {w:String} AND profile_id IN (
       SELECT DISTINCT profile_id FROM identities
       -- The type and value conditions let the sort key (workspace_id, id_type, id_value) narrow the read.
       WHERE workspace_id = {w:String} AND id_type IN {types:Array(String)} AND id_value IN {values:Array(String)}
         AND ${IDENTIFIER_KEY} IN {keys:Array(String)} AND profile_id NOT IN {members:Array(String)})
     GROUP BY profile_id HAVING argMax(deleted, version) = 1`,
    {
      w: workspaceId,
      types: [...new Set(identifiers.map((i) => i.type))],
      values: identifiers.map((i) => i.value),
      keys: identifiers.map(identifierKey),
      members,
    },
  );
  return rows.map((r) => r.profile_id);
}

/**
 * Text to look for in free-form columns (dead-letter payloads, job plans,
 * exports, audit details): identifier values and profile ids, matched
 * case-insensitively, with their JSON-escaped form where it differs; and phone
 * numbers as digits, matched against the text with separators removed (a
 * payload holds the phone as typed: "+86 138-0013-8000").
 */
export function textNeedles(scope: Pick<PersonScope, 'profileIds' | 'identifiers'>): { text: string[]; digits: string[] } {
  const text = new Set<string>();
  const digits = new Set<string>();
  for (const value of [...scope.identifiers.map((i) => i.value), ...scope.profileIds]) {
    if (value.length < 3) continue;
    text.add(value);
    text.add(JSON.stringify(value).slice(1, -1));
  }
  for (const id of scope.identifiers) {
    if (id.type !== 'phone') continue;
    const d = id.value.replace(/^\+/, '');
    digits.add(d);
    // Mainland China mobiles are normalized from their bare 11 digits.
    if (d.startsWith('86') && d.length === 13) digits.add(d.slice(2));
  }
  return { text: [...text], digits: [...digits] };
}

/** A SQL condition: `column` mentions one of the needles (`text`, `digits`: Array(String) expressions). */
export function mentions(column: string, needles: { text: string; digits: string }): string {
  return `(arrayExists(n -> positionCaseInsensitiveUTF8(${column}, n) > 0, ${needles.text})
    OR arrayExists(n -> position(replaceRegexpAll(${column}, '[\\\\s()\\\\-.]', ''), n) > 0, ${needles.digits}))`;
}

/**
 * Events that carry the person's identifiers but are stored under another
 * profile, or none: identity resolution dropped the identifier from them (a
 * limit conflict or cap, which identity_warnings records: their text is
 * checked for the values), or the event was never resolved (identity
 * resolution off: its user_id / anonymous_id columns are the person's).
 * Their messageIds, and the (other) profiles they are stored under.
 */
export async function eventsElsewhere(
  t: ClickHouseTransport,
  workspaceId: string,
  scope: Pick<PersonScope, 'profileIds' | 'identifiers'>,
): Promise<{ messageIds: string[]; profileIds: string[] }> {
  const types = [...new Set(scope.identifiers.map((i) => i.type))];
  if (types.length === 0) return { messageIds: [], profileIds: [] };
  const needles = textNeedles(scope);
  const valuesOf = (type: string) => scope.identifiers.filter((i) => i.type === type).map((i) => i.value);
  const rows = await t.query<{ message_id: string; profile_id: string }>(
    `SELECT message_id, profile_id FROM events
     WHERE workspace_id = {w:String} AND profile_id NOT IN {ids:Array(String)}
       AND (trim(user_id) IN {users:Array(String)} OR lower(anonymous_id) IN {anons:Array(String)}
         OR (message_id IN (
               SELECT message_id FROM identity_warnings
               WHERE workspace_id = {w:String} AND warning = 'identifier_dropped' AND reason IN ('limit_conflict', 'cap')
                 AND id_type IN {types:Array(String)})
             AND (${['user_id', 'anonymous_id', 'previous_id', 'traits', 'context'].map((c) => mentions(c, { text: '{nt:Array(String)}', digits: '{nd:Array(String)}' })).join(' OR ')})))`,
    {
      w: workspaceId,
      ids: scope.profileIds,
      types,
      users: valuesOf('user_id'),
      // Stored as sent; normalization lowercases UUIDs only, so compare in lower case.
      anons: valuesOf('anonymous_id').map((v) => v.toLowerCase()),
      nt: needles.text,
      nd: needles.digits,
    },
  );
  return {
    messageIds: rows.map((r) => r.message_id),
    profileIds: [...new Set(rows.map((r) => r.profile_id).filter((id) => id !== ''))],
  };
}
