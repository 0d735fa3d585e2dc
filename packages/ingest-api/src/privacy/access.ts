import { loadComponents } from '../identity/loader.js';
import { profileDocument, type ComputedTraitsOf } from '../profiles/queries.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { eventsElsewhere, mentions, resolvePerson, subjectText, textNeedles, type Subject } from './scope.js';

/** How long an access export can be downloaded. */
export const EXPORT_TTL_DAYS = 7;
const INSERT_LINES = 5_000;

export interface AccessResult {
  lines: number;
  profiles: number;
  identifiers: number;
  events: number;
  deadLetters: number;
  expiresAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Builds the export of everything held about a person, one JSON object per
 * line with its `kind`: the request; the profile as the profile API shows it
 * (computed traits included);
 * each profile record, identifier attachment, merge and trait version; each
 * event across merged ids and each dead letter carrying the person's
 * identifiers, as the rows are stored. Written to `privacy_exports`, which
 * expires, and which an erasure of the person clears.
 */
export async function buildAccessExport(deps: {
  transport: ClickHouseTransport;
  workspaceId: string;
  requestId: string;
  subject: Subject;
  /** Computed traits are profiling about the person: exported as the profile API shows them. */
  computedTraits?: ComputedTraitsOf | undefined;
}): Promise<AccessResult> {
  const { transport: t, workspaceId: w, requestId } = deps;
  const expiresAt = new Date(Date.now() + EXPORT_TTL_DAYS * 86_400_000);
  const expires = expiresAt.toISOString();
  let seq = 0;
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const rows = pending.map((line) => JSON.stringify({ workspace_id: w, request_id: requestId, seq: seq++, line, expires_at: expires }));
    pending = [];
    await t.insert({ table: 'privacy_exports', rows: rows.join('\n') });
  };
  const push = async (line: string) => {
    pending.push(line);
    if (pending.length >= INSERT_LINES) await flush();
  };
  const counts = { profiles: 0, identifiers: 0, events: 0, deadLetters: 0 };

  const scope = await resolvePerson(t, w, deps.subject);
  await push(JSON.stringify({ kind: 'request', requestId, subject: subjectText(deps.subject), generatedAt: new Date().toISOString() }));
  if (scope.survivor !== undefined) await push(JSON.stringify({ kind: 'profile', ...(await profileDocument(t, w, scope.survivor, deps.computedTraits)) }));
  const { records } = await loadComponents(t, w, scope.identifiers);
  for (const p of records.profiles ?? []) {
    counts.profiles++;
    await push(JSON.stringify({ kind: 'profile_record', profileId: p.profileId, createdAt: iso(p.createdAt), createdBy: p.createdBy }));
  }
  for (const a of records.attachments ?? []) {
    counts.identifiers++;
    await push(JSON.stringify({ kind: 'identity', type: a.type, value: a.value, profileId: a.profileId, messageId: a.messageId, attachedAt: iso(a.at) }));
  }
  for (const m of records.merges ?? []) await push(JSON.stringify({ kind: 'merge', from: m.from, into: m.into, byMessageId: m.byMessageId, at: iso(m.at) }));
  for (const tr of records.traits ?? []) {
    await push(JSON.stringify({ kind: 'trait', profileId: tr.profileId, key: tr.key, value: tr.value, at: iso(tr.at), messageId: tr.messageId, once: tr.once }));
  }
  const members = scope.profileIds;
  const elsewhere = (await eventsElsewhere(t, w, scope)).messageIds;
  const needles = textNeedles(scope);
  const streams: Array<[kind: string, sql: string]> = [
    [
      'event',
      `SELECT * FROM events
       WHERE workspace_id = {w:String} AND (profile_id IN {ids:Array(String)} OR message_id IN {elsewhere:Array(String)})
       ORDER BY timestamp, message_id`,
    ],
    [
      'dead_letter',
      `SELECT * FROM dead_letters
       WHERE workspace_id = {w:String}
         AND (message_id IN (SELECT message_id FROM events WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)})
              OR message_id IN {elsewhere:Array(String)}
              OR ${mentions('payload', { text: '{nt:Array(String)}', digits: '{nd:Array(String)}' })})
       ORDER BY received_at, message_id`,
    ],
  ];
  for (const [kind, sql] of streams) {
    for await (const row of t.queryLines(sql, { w, ids: members, elsewhere, nt: needles.text, nd: needles.digits })) {
      if (kind === 'event') counts.events++;
      else counts.deadLetters++;
      await push(`{"kind":"${kind}","row":${row}}`);
    }
  }
  await flush();
  return {
    lines: seq,
    ...counts,
    expiresAt: expires,
  };
}

/** The export's lines, in order, while it has not expired. */
export async function* readAccessExport(t: ClickHouseTransport, workspaceId: string, requestId: string): AsyncIterable<string> {
  for await (const row of t.queryLines(
    'SELECT line FROM privacy_exports WHERE workspace_id = {w:String} AND request_id = {r:String} AND expires_at > now() ORDER BY seq',
    { w: workspaceId, r: requestId },
  )) {
    yield (JSON.parse(row) as { line: string }).line;
  }
}
