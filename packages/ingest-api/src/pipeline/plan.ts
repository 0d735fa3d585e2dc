import type { IdentityService } from '../identity/service.js';
import { nextVersion } from '../identity/version.js';
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
}

/**
 * Turns a batch of spool records into inserts: drops messageIds already
 * stored, resolves identities (reads first, then the in-memory state
 * changes), and builds the rows. Remembers the batch's ids for dedup at once,
 * so the next batch, planned while this one is being inserted, sees them.
 */
export async function planBatch(
  token: string,
  records: readonly DecodedRecord[],
  deps: { dedup: MessageIdDedup; identity: IdentityService },
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
  deps.dedup.remember(stored);
  const events: string[] = [];
  const ledger: string[] = [];
  for (let i = 0; i < fresh.length; i++) {
    const r = fresh[i] as DecodedRecord;
    events.push(`{"profile_id":${JSON.stringify(resolved.profileIds[i] ?? '')},"ingest_seq":${nextVersion()},${r.row.slice(1)}`);
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
  return { token, inserts, stored, eventCount: events.length, duplicates, deadLetterCount: dead.length };
}
