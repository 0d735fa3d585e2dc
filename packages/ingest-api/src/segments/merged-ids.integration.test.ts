import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSegment, segmentDefinitionSchema } from '@cdp/segments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbTransport } from '../storage/chdb-transport.js';
import { migrate } from '../storage/migrations.js';

/**
 * The compiled query maps a stored profile id to the survivor named by the
 * latest version of its alias row, written over several inserts as merges,
 * re-merges and unmerges write them (each insert a part of its own, so the
 * query itself must pick the latest row, not a background merge).
 */
const NOW = Date.parse('2026-11-23T12:00:00Z');
const A = '0c000000-0000-4000-8000-00000000000a';
const B = '0c000000-0000-4000-8000-00000000000b';
const C = '0c000000-0000-4000-8000-00000000000c';

let t: ChdbTransport;
beforeAll(async () => {
  t = await ChdbTransport.open({ path: mkdtempSync(join(tmpdir(), 'cdp-merged-')), database: 'merged' });
  await migrate(t);
});
afterAll(async () => {
  await t.close();
});

/** Members with at least two Top Ups: each stored id has one, so only a survivor holding two ids' events qualifies. */
async function twoTopUps(workspaceId: string): Promise<string[]> {
  const definition = segmentDefinitionSchema.parse({ conditions: [{ type: 'event', event: 'Top Up', operator: 'gte', value: 2 }] });
  const q = compileSegment({ definition, workspaceId, now: NOW });
  return (await t.query<{ pid: string }>(q.sql, q.params)).map((r) => r.pid).sort();
}

async function setUp(workspaceId: string, aliasVersions: Array<{ from: string; into: string; deleted: 0 | 1; version: number }>): Promise<void> {
  const ts = '2026-11-20T10:00:00.000Z';
  const events = [A, B, C].map((p, i) =>
    JSON.stringify({ workspace_id: workspaceId, message_id: `m${i}`, type: 'track', event: 'Top Up', profile_id: p, timestamp: ts, received_at: ts }),
  );
  await t.insert({ table: 'events', rows: events.join('\n') });
  for (const a of aliasVersions) {
    const row = { workspace_id: workspaceId, profile_id: a.from, canonical_id: a.into, deleted: a.deleted, version: a.version };
    await t.insert({ table: 'profile_aliases', rows: JSON.stringify(row) });
  }
}

describe('merged ids are mapped through the latest alias row', () => {
  it('a merge: the merged id counts for its survivor', async () => {
    await setUp('merge', [{ from: B, into: A, deleted: 0, version: 1 }]);
    expect(await twoTopUps('merge')).toEqual([A]);
  });

  it('an unmerge (a later deleted row): the id counts for itself again', async () => {
    await setUp('unmerge', [
      { from: B, into: A, deleted: 0, version: 1 },
      { from: B, into: '', deleted: 1, version: 2 },
    ]);
    expect(await twoTopUps('unmerge')).toEqual([]);
  });

  it('a re-merge into another survivor: the latest survivor wins, whatever the insert order', async () => {
    await setUp('remerge', [
      { from: B, into: C, deleted: 0, version: 3 },
      { from: B, into: A, deleted: 1, version: 2 },
      { from: B, into: A, deleted: 0, version: 1 },
    ]);
    expect(await twoTopUps('remerge')).toEqual([C]);
  });
});
