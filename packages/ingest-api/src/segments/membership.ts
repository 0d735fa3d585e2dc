import {
  segmentCountQuery,
  segmentMembersQuery,
  segmentPageQuery,
  segmentSampleQuery,
  type CompiledQuery,
} from '@cdp/segments';
import type { ClickHouseTransport } from '../storage/transport.js';

/**
 * Runs membership queries. Membership is computed by ClickHouse on every
 * call (one query per segment), so it is always as fresh as the events.
 */

/** Segment queries read a lot; bound them so a runaway definition cannot hold the engine. */
const QUERY_SETTINGS = '\nSETTINGS max_execution_time = 300';

export async function countMembers(t: ClickHouseTransport, q: CompiledQuery): Promise<number> {
  const c = segmentCountQuery(q);
  const [row] = await t.query<{ members: number | string }>(c.sql + QUERY_SETTINGS, c.params);
  return Number(row?.members ?? 0);
}

export async function pageOfMembers(t: ClickHouseTransport, q: CompiledQuery, page: { after: string; limit: number }): Promise<string[]> {
  const p = segmentPageQuery(q, page);
  return (await t.query<{ pid: string }>(p.sql + QUERY_SETTINGS, p.params)).map((r) => r.pid);
}

export async function sampleOfMembers(t: ClickHouseTransport, q: CompiledQuery, limit: number): Promise<{ count: number; sample: string[] }> {
  const s = segmentSampleQuery(q, limit);
  const rows = await t.query<{ pid: string; members: number | string }>(s.sql + QUERY_SETTINGS, s.params);
  return { count: Number(rows[0]?.members ?? 0), sample: rows.map((r) => r.pid) };
}

/** The latest value of each of `keys` for each profile (absent keys are left out). */
export async function traitsOf(
  t: ClickHouseTransport,
  workspaceId: string,
  profileIds: readonly string[],
  keys: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>(profileIds.map((id) => [id, {}]));
  if (profileIds.length === 0 || keys.length === 0) return out;
  const rows = await t.query<{ profile_id: string; key: string; val: string }>(
    `SELECT profile_id, key, argMax(value, version) AS val FROM profile_traits
     WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)} AND key IN {keys:Array(String)}
     GROUP BY profile_id, key HAVING argMax(deleted, version) = 0`,
    { w: workspaceId, ids: [...profileIds], keys: [...keys] },
  );
  for (const r of rows) {
    const traits = out.get(r.profile_id);
    if (traits !== undefined) traits[r.key] = JSON.parse(r.val) as unknown;
  }
  return out;
}

/** Opaque member cursor: the last profile id of the page. */
export function encodeMemberCursor(profileId: string): string {
  return Buffer.from(JSON.stringify({ after: profileId })).toString('base64url');
}

export function decodeMemberCursor(cursor: string): string | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (v !== null && typeof v === 'object' && typeof (v as { after?: unknown }).after === 'string') return (v as { after: string }).after;
  } catch {
    // not a cursor of ours
  }
  return undefined;
}

export type ExportFormat = 'ndjson' | 'csv';

const EXPORT_CHUNK = 2_000;

/**
 * Every member with the selected traits, as NDJSON or CSV lines. Member ids
 * stream from ClickHouse (`queryLines`); traits are read per chunk of ids, so
 * memory stays bounded whatever the segment's size.
 */
export async function* exportLines(
  t: ClickHouseTransport,
  options: { workspaceId: string; query: CompiledQuery; format: ExportFormat; traits: readonly string[] },
): AsyncGenerator<string> {
  const { format, traits } = options;
  if (format === 'csv') yield `${['profile_id', ...traits].map(csvField).join(',')}\n`;
  const all = segmentMembersQuery(options.query);
  let chunk: string[] = [];
  const flush = async function* (): AsyncGenerator<string> {
    const values = await traitsOf(t, options.workspaceId, chunk, traits);
    let text = '';
    for (const id of chunk) {
      const v = values.get(id) ?? {};
      text +=
        format === 'ndjson'
          ? `${JSON.stringify({ id, traits: v })}\n`
          : `${[id, ...traits.map((k) => csvValue(v[k]))].map(csvField).join(',')}\n`;
    }
    chunk = [];
    yield text;
  };
  for await (const line of t.queryLines(all.sql + QUERY_SETTINGS, all.params)) {
    chunk.push((JSON.parse(line) as { pid: string }).pid);
    if (chunk.length >= EXPORT_CHUNK) yield* flush();
  }
  if (chunk.length > 0) yield* flush();
}

/** Strings as they are, other values as JSON, absent as empty. */
function csvValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** RFC 4180 quoting. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
