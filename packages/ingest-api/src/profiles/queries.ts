import type { ClickHouseTransport } from '../storage/transport.js';
import { addTimeWindow, chToIso } from '../storage/time.js';

/**
 * Read side of the profile API, straight from ClickHouse (the source of truth
 * for everything acknowledged and flushed). Every statement is scoped by
 * workspace_id and binds every value.
 */
export interface ProfileView {
  id: string;
  createdAt: string;
  identities: Array<{ type: string; value: string }>;
  traits: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  mergedFrom: string[];
}

/** Computed traits of a profile, from the ids it is made of (survivor first). */
export type ComputedTraitsOf = (workspaceId: string, profileIds: readonly string[]) => Promise<Record<string, unknown>>;

/** The profile as the profile API shows it: the view, plus computed traits when the workspace has them. */
export async function profileDocument(
  t: ClickHouseTransport,
  workspaceId: string,
  survivor: string,
  computedTraits: ComputedTraitsOf | undefined,
): Promise<ProfileView & { computedTraits?: Record<string, unknown> }> {
  const view = await profileView(t, workspaceId, survivor);
  if (computedTraits === undefined) return view;
  return { ...view, computedTraits: await computedTraits(workspaceId, [view.id, ...view.mergedFrom]) };
}

/** The surviving profile of `profileId` (itself when never merged away), or undefined when unknown. */
export async function survivorOf(t: ClickHouseTransport, workspaceId: string, profileId: string): Promise<string | undefined> {
  const [alias] = await t.query<{ survivor: string }>(
    `SELECT argMax(canonical_id, version) AS survivor FROM profile_aliases
     WHERE workspace_id = {w:String} AND profile_id = {p:String}
     GROUP BY profile_id HAVING argMax(deleted, version) = 0`,
    { w: workspaceId, p: profileId },
  );
  const id = alias?.survivor ?? profileId;
  const [exists] = await t.query<{ n: number }>(
    `SELECT count() AS n FROM (
       SELECT profile_id FROM profiles WHERE workspace_id = {w:String} AND profile_id = {p:String}
       GROUP BY profile_id HAVING argMax(deleted, version) = 0)`,
    { w: workspaceId, p: id },
  );
  return Number(exists?.n ?? 0) > 0 ? id : undefined;
}

/** The profile owning an identifier (already normalized), mapped to its survivor. */
export async function ownerOf(t: ClickHouseTransport, workspaceId: string, type: string, value: string): Promise<string | undefined> {
  const [row] = await t.query<{ owner: string }>(
    `SELECT argMax(profile_id, version) AS owner FROM identities
     WHERE workspace_id = {w:String} AND id_type = {t:String} AND id_value = {v:String}
     GROUP BY id_type, id_value HAVING argMax(deleted, version) = 0`,
    { w: workspaceId, t: type, v: value },
  );
  return row === undefined ? undefined : survivorOf(t, workspaceId, row.owner);
}

/** The survivor and every id merged into it. */
export async function membersOf(t: ClickHouseTransport, workspaceId: string, survivor: string): Promise<string[]> {
  const rows = await t.query<{ profile_id: string }>(
    `SELECT profile_id FROM profile_aliases
     WHERE workspace_id = {w:String} AND canonical_id = {c:String}
     GROUP BY profile_id
     HAVING argMax(canonical_id, version) = {c:String} AND argMax(deleted, version) = 0
     ORDER BY profile_id`,
    { w: workspaceId, c: survivor },
  );
  return [survivor, ...rows.map((r) => r.profile_id)];
}

export async function profileView(t: ClickHouseTransport, workspaceId: string, survivor: string): Promise<ProfileView> {
  const members = await membersOf(t, workspaceId, survivor);
  const scope = { w: workspaceId, ids: members, p: survivor };
  const [identities, traits, seen, created] = await Promise.all([
    t.query<{ id_type: string; id_value: string }>(
      `SELECT id_type, id_value FROM identities
       WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
       GROUP BY id_type, id_value
       HAVING argMax(deleted, version) = 0 AND argMax(profile_id, version) IN {ids:Array(String)}
       ORDER BY id_type, id_value`,
      scope,
    ),
    t.query<{ key: string; val: string }>(
      `SELECT key, argMax(value, version) AS val FROM profile_traits
       WHERE workspace_id = {w:String} AND profile_id = {p:String}
       GROUP BY key HAVING argMax(deleted, version) = 0 ORDER BY key`,
      scope,
    ),
    t.query<{ first: string; last: string; n: number }>(
      `SELECT min(timestamp) AS first, max(timestamp) AS last, count() AS n FROM events
       WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}`,
      scope,
    ),
    t.query<{ created: string }>(
      `SELECT argMax(created_at, version) AS created FROM profiles
       WHERE workspace_id = {w:String} AND profile_id = {p:String} GROUP BY profile_id`,
      scope,
    ),
  ]);
  const s = seen[0];
  const any = s !== undefined && Number(s.n) > 0;
  return {
    id: survivor,
    createdAt: chToIso(created[0]?.created ?? ''),
    identities: identities.map((i) => ({ type: i.id_type, value: i.id_value })),
    traits: Object.fromEntries(traits.map((tr) => [tr.key, JSON.parse(tr.val) as unknown])),
    firstSeen: any ? chToIso(s.first) : null,
    lastSeen: any ? chToIso(s.last) : null,
    mergedFrom: members.slice(1),
  };
}

export interface EventPage {
  events: Array<Record<string, unknown>>;
  nextCursor: string | null;
}

interface EventRow {
  message_id: string;
  type: string;
  event: string;
  name: string;
  category: string;
  user_id: string;
  anonymous_id: string;
  group_id: string;
  previous_id: string;
  profile_id: string;
  /** Aliases differ from column names: ClickHouse would read an alias in WHERE. */
  ts: string;
  received: string;
  properties: string;
  traits: string;
  context: string;
}

/** Cursor: the (timestamp, messageId) of the last event of the page, base64url JSON. */
export function encodeCursor(timestamp: string, messageId: string): string {
  return Buffer.from(JSON.stringify([timestamp, messageId])).toString('base64url');
}

export function decodeCursor(cursor: string): { timestamp: string; messageId: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/.test(v[0])) {
      return { timestamp: v[0], messageId: v[1] };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** A profile's behaviour log across merged ids, newest first. */
export async function eventsOf(
  t: ClickHouseTransport,
  q: { workspaceId: string; members: string[]; from?: number; to?: number; limit: number; cursor?: { timestamp: string; messageId: string } },
): Promise<EventPage> {
  const where = ['workspace_id = {w:String}', 'profile_id IN {ids:Array(String)}'];
  const params: Record<string, unknown> = { w: q.workspaceId, ids: q.members, n: q.limit + 1 };
  addTimeWindow(where, params, { timeColumn: 'timestamp', idColumn: 'message_id', from: q.from, to: q.to, cursor: q.cursor });
  const rows = await t.query<EventRow>(
    `SELECT message_id, type, event, name, category, user_id, anonymous_id, group_id, previous_id, profile_id,
            toString(timestamp) AS ts, toString(received_at) AS received, properties, traits, context
     FROM events WHERE ${where.join(' AND ')}
     ORDER BY timestamp DESC, message_id DESC LIMIT {n:UInt32}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    events: page.map(toWireEvent),
    nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(last.ts, last.message_id) : null,
  };
}

/** Stored rows back in the Segment event shape. */
function toWireEvent(r: EventRow): Record<string, unknown> {
  const e: Record<string, unknown> = { messageId: r.message_id, type: r.type };
  if (r.type === 'track') e['event'] = r.event;
  if (r.type === 'page' || r.type === 'screen') {
    if (r.name !== '') e['name'] = r.name;
    if (r.category !== '') e['category'] = r.category;
  }
  if (r.user_id !== '') e['userId'] = r.user_id;
  if (r.anonymous_id !== '') e['anonymousId'] = r.anonymous_id;
  if (r.type === 'group') e['groupId'] = r.group_id;
  if (r.type === 'alias') e['previousId'] = r.previous_id;
  e['timestamp'] = chToIso(r.ts);
  e['receivedAt'] = chToIso(r.received);
  if (r.type === 'identify' || r.type === 'group') e['traits'] = JSON.parse(r.traits) as unknown;
  else e['properties'] = JSON.parse(r.properties) as unknown;
  e['context'] = JSON.parse(r.context) as unknown;
  return e;
}
