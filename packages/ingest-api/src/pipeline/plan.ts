import type { IdentityService } from '../identity/service.js';
import { nextVersion } from '../identity/version.js';
import { dedupKey } from './dedup.js';
import { RECORD_DEAD_LETTER, RECORD_EVENT, type DecodedRecord } from './records.js';

/**
 * What a batch of spool records becomes in ClickHouse: dedup by messageId,
 * identity resolution, then the rows of every table in insert order. Shared by
 * the flusher and the bulk loader of the demo generator, so rows loaded in
 * bulk are exactly the rows the pipeline writes.
 */

/** One insert of a batch's plan. */
export interface PlannedInsert {
  table: string;
  /** Suffix of the batch token; stable across replays of the batch. */
  part: string;
  lines: string[];
}

export interface BatchPlan {
  inserts: PlannedInsert[];
  /** Dedup keys of the events stored by this plan. */
  stored: string[];
  eventCount: number;
  duplicates: number;
  deadLetterCount: number;
}

export interface PlanDeps {
  /** The dedup keys (`dedupKey`) among the candidates that are already stored. */
  seen: (candidates: ReadonlyMap<string, string[]>) => Promise<Set<string>>;
  identity: Pick<IdentityService, 'resolveBatch'>;
}

/**
 * The events-table row: the request-time row with the resolved profile and
 * the ingestion sequence put in front (the row is never re-serialized).
 */
export function eventRowWithProfile(row: string, profileId: string): string {
  return `{"profile_id":${JSON.stringify(profileId)},"ingest_seq":${nextVersion()},${row.slice(1)}`;
}

export async function planBatch(records: readonly DecodedRecord[], deps: PlanDeps): Promise<BatchPlan> {
  const byWorkspace = new Map<string, string[]>();
  for (const r of records) {
    if (r.header.k !== RECORD_EVENT) continue;
    let ids = byWorkspace.get(r.header.w);
    if (ids === undefined) byWorkspace.set(r.header.w, (ids = []));
    ids.push(r.header.m);
  }
  const seen = await deps.seen(byWorkspace);
  const fresh: DecodedRecord[] = [];
  const dead: string[] = [];
  const stored: string[] = [];
  let duplicates = 0;
  for (const r of records) {
    if (r.header.k === RECORD_DEAD_LETTER) {
      dead.push(r.row);
      continue;
    }
    const key = dedupKey(r.header.w, r.header.m);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    stored.push(key);
    fresh.push(r);
  }
  const now = new Date().toISOString();
  // Identity resolution: reads first, then the in-memory state changes (see Flusher#plan).
  const resolved = await deps.identity.resolveBatch(
    fresh.map((r) => ({
      workspaceId: r.header.w,
      messageId: r.header.m,
      type: r.header.y ?? '',
      timestamp: r.header.ts ?? Date.parse(now),
      receivedAt: now,
      projection: r.header.i ?? {},
    })),
  );
  const events: string[] = [];
  const ledger: string[] = [];
  for (let i = 0; i < fresh.length; i++) {
    const r = fresh[i] as DecodedRecord;
    events.push(eventRowWithProfile(r.row, resolved.profileIds[i] ?? ''));
    ledger.push(`{"workspace_id":${JSON.stringify(r.header.w)},"message_id":${JSON.stringify(r.header.m)},"received_at":"${now}"}`);
  }
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
  return { inserts, stored, eventCount: events.length, duplicates, deadLetterCount: dead.length };
}
