import { RecordResolutionError, type IdentityService } from '../identity/service.js';
import { nextVersion } from '../identity/version.js';
import { deadLetterRow } from './dead-letter.js';
import type { MessageIdDedup } from './dedup.js';
import { dedupKey } from './dedup.js';
import { RECORD_DEAD_LETTER, RECORD_EVENT, type DecodedRecord } from './records.js';

/** One insert of a batch's plan. */
export interface PlannedInsert {
  table: string;
  /** Suffix of the batch token; stable across replays of the batch. */
  part: string;
  lines: string[];
}

/** Everything one batch inserts, in order. Computed once per batch (see Flusher). */
export interface Plan {
  token: string;
  inserts: PlannedInsert[];
  /** Dedup keys of the events stored by this batch. */
  stored: string[];
  eventCount: number;
  duplicates: number;
  deadLetterCount: number;
  /** Events and dead letters dropped because they carry an erased identifier. */
  suppressed: number;
}

/** What the privacy features need from each batch. */
export interface FlushPrivacy {
  /** Days new rows of a workspace are kept (0 = forever), stamped on each row for the tables' TTL. */
  retention(workspaceId: string): { eventsDays: number; deadLettersDays: number };
  /** True when a dead-letter row's payload carries an erased identifier: it is not stored. */
  suppressesDeadLetter(workspaceId: string, row: string): boolean;
}

/** What planning needs; narrow so the demo bulk loader plans exactly as the flusher does. */
export interface PlanDeps {
  dedup: Pick<MessageIdDedup, 'seen' | 'remember'>;
  identity: Pick<IdentityService, 'resolveBatch'>;
  privacy?: FlushPrivacy | undefined;
  /** Dedup keys of events identity resolution failed on: written to dead_letters instead (see PoisonRecordError). */
  unresolvable?: ReadonlySet<string> | undefined;
}

/**
 * Identity resolution threw on one event of the batch (a bug). Retrying the same batch would fail forever and hold
 * back every workspace, so the caller plans it again with `key` in `unresolvable`, after dropping the in-memory
 * identity state of `workspaces` (the failed attempt may have changed it).
 */
export class PoisonRecordError extends Error {
  override readonly name = 'PoisonRecordError';
  /** Dedup key (`workspace\nmessageId`) of the event. */
  readonly key: string;
  readonly workspaces: ReadonlySet<string>;

  constructor(options: { key: string; workspaces: ReadonlySet<string>; cause: unknown }) {
    super('identity resolution failed on one event', { cause: options.cause });
    this.key = options.key;
    this.workspaces = options.workspaces;
  }
}

/** Why an event is in dead_letters with code `resolution_failed`. */
const RESOLUTION_FAILED_REASON = 'Identity resolution failed on this event (a server error, logged); it is kept here, not in events.';

/**
 * Turns a batch of spool records into inserts: drops messageIds already
 * stored, resolves identities (reads first, then the in-memory state
 * changes), and builds the rows. Remembers the batch's ids for dedup at once,
 * so the next batch, planned while this one is being inserted, sees them.
 */
export async function planBatch(
  token: string,
  records: readonly DecodedRecord[],
  deps: PlanDeps,
): Promise<Plan> {
  const byWorkspace = new Map<string, string[]>();
  for (const r of records) {
    if (r.header.k !== RECORD_EVENT) continue;
    let ids = byWorkspace.get(r.header.w);
    if (ids === undefined) byWorkspace.set(r.header.w, (ids = []));
    ids.push(r.header.m);
  }
  const seen = await deps.dedup.seen(byWorkspace);
  const fresh: DecodedRecord[] = [];
  const dead: string[] = [];
  const stored: string[] = [];
  const { privacy } = deps;
  const retention = new Map<string, { eventsDays: number; deadLettersDays: number }>();
  const retentionOf = (w: string) => {
    let r = retention.get(w);
    if (r === undefined) retention.set(w, (r = privacy?.retention(w) ?? { eventsDays: 0, deadLettersDays: 0 }));
    return r;
  };
  let duplicates = 0;
  let suppressed = 0;
  for (const r of records) {
    if (r.header.k === RECORD_DEAD_LETTER) {
      if (privacy?.suppressesDeadLetter(r.header.w, r.row) === true) suppressed++;
      else dead.push(withRetention(r.row, retentionOf(r.header.w).deadLettersDays));
      continue;
    }
    const key = dedupKey(r.header.w, r.header.m);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    if (deps.unresolvable?.has(key) === true) dead.push(withRetention(unresolvableRow(r), retentionOf(r.header.w).deadLettersDays));
    else fresh.push(r);
  }
  const now = new Date().toISOString();
  const resolved = await resolveOrIsolate(deps, records, fresh, now);
  const events: string[] = [];
  const ledger: string[] = [];
  for (let i = 0; i < fresh.length; i++) {
    const r = fresh[i] as DecodedRecord;
    if (resolved.suppressed.has(i)) {
      // Carries an erased person's identifier: neither stored nor remembered as stored.
      suppressed++;
      continue;
    }
    stored.push(dedupKey(r.header.w, r.header.m));
    events.push(storedEventRow(r.row, resolved.profileIds[i] ?? '', retentionOf(r.header.w).eventsDays));
    ledger.push(`{"workspace_id":${JSON.stringify(r.header.w)},"message_id":${JSON.stringify(r.header.m)},"received_at":"${now}"}`);
  }
  deps.dedup.remember(stored);
  const id = resolved.rows;
  const inserts: PlannedInsert[] = [
    // Identity state first: an event row never references a profile that is not persisted.
    { table: 'profiles', part: 'p', lines: id.profiles },
    { table: 'identities', part: 'i', lines: id.identities },
    { table: 'profile_merges', part: 'g', lines: id.merges },
    { table: 'profile_aliases', part: 'a', lines: id.aliases },
    { table: 'profile_traits', part: 't', lines: id.traits },
    { table: 'events', part: 'e', lines: events },
    { table: 'dead_letters', part: 'd', lines: dead },
    { table: 'identity_warnings', part: 'w', lines: id.warnings },
    // Last: an id in the ledger implies its event is stored.
    { table: 'message_ids', part: 'm', lines: ledger },
  ];
  return { token, inserts, stored, eventCount: events.length, duplicates, deadLetterCount: dead.length, suppressed };
}

async function resolveOrIsolate(deps: PlanDeps, records: readonly DecodedRecord[], fresh: readonly DecodedRecord[], now: string) {
  try {
    return await deps.identity.resolveBatch(
      fresh.map((r) => ({
        workspaceId: r.header.w,
        messageId: r.header.m,
        type: r.header.y ?? '',
        timestamp: r.header.ts ?? Date.parse(now),
        receivedAt: now,
        projection: r.header.i ?? {},
      })),
    );
  } catch (err) {
    if (!(err instanceof RecordResolutionError)) throw err;
    const failed = fresh[err.index];
    if (failed === undefined) throw err;
    const workspaces = new Set<string>();
    for (const r of records) workspaces.add(r.header.w);
    // The cause is what the resolver threw, not the wrapper that located it.
    throw new PoisonRecordError({ key: dedupKey(failed.header.w, failed.header.m), workspaces, cause: err.cause });
  }
}

/** The dead letter of an event identity resolution failed on: its row as built at request time is the payload. */
function unresolvableRow(r: DecodedRecord): string {
  let keyId = '';
  let receivedAt = new Date().toISOString();
  try {
    const row = JSON.parse(r.row) as { key_id?: unknown; received_at?: unknown };
    if (typeof row.key_id === 'string') keyId = row.key_id;
    if (typeof row.received_at === 'string') receivedAt = row.received_at;
  } catch {
    // The row is JSON the server built; if not, the payload still holds it.
  }
  return deadLetterRow({ workspaceId: r.header.w, receivedAt, messageId: r.header.m, code: 'resolution_failed', reason: RESOLUTION_FAILED_REASON, path: '', payload: r.row, keyId });
}

/**
 * The events-table line of a request-path row: the server fields the flusher
 * decides (profile, resolution order, retention) spliced in front, the row's
 * bytes untouched.
 */
export function storedEventRow(row: string, profileId: string, retentionDays: number): string {
  return `{"profile_id":${JSON.stringify(profileId)},"ingest_seq":${nextVersion()},${retentionDays > 0 ? `"retention_days":${retentionDays},` : ''}${row.slice(1)}`;
}

/** Stamps a JSONEachRow line with its retention (0 = the column default: kept forever). */
export function withRetention(row: string, days: number): string {
  return days > 0 ? `{"retention_days":${days},${row.slice(1)}` : row;
}
