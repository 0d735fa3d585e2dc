import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbTransport } from '../storage/chdb-transport.js';
import { migrate } from '../storage/migrations.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { startTestApi, type TestApi } from '../testing/index.js';
import { bulkLoad } from './bulk.js';
import { sendOverHttp } from './http.js';
import { resolveDemoOptions } from './options.js';

/**
 * The same demo sent through the API and loaded in bulk: the stored rows must
 * be the same (profile ids are derived from messageIds and identifiers, so
 * they compare directly). Columns that record when or by which key a row was
 * written (versions, received_at, ingest_seq, key_id) are left out.
 */
const demo = { profiles: 150, events: 1_500, seed: 11, end: '2026-11-01T00:00:00.000Z', progress: false } as const;
const TABLES: Record<string, { select: string; order: string }> = {
  events: {
    select: 'message_id, type, event, name, category, user_id, anonymous_id, profile_id, group_id, previous_id, toString(timestamp) AS ts, properties, traits, context, integrations, channel',
    order: 'message_id',
  },
  profiles: { select: 'profile_id, toString(created_at) AS created, created_by, deleted', order: 'profile_id' },
  identities: { select: 'id_type, id_value, profile_id, message_id, toString(attached_at) AS attached', order: 'id_type, id_value' },
  profile_merges: { select: 'from_profile, into_profile, by_message_id, toString(at) AS merged_at', order: 'from_profile' },
  profile_aliases: { select: 'profile_id, canonical_id', order: 'profile_id, canonical_id' },
  profile_traits: { select: 'profile_id, key, value, toString(at) AS written, message_id, once', order: 'profile_id, key, message_id' },
  identity_warnings: { select: 'message_id, warning, id_type, reason', order: 'message_id, id_type' },
  message_ids: { select: 'message_id', order: 'message_id' },
};

let api: TestApi;
let bulkStore: ClickHouseTransport;
let bulkWorkspace: string;

beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
  await sendOverHttp(resolveDemoOptions({ ...demo, mode: 'http', url: api.url, writeKey: api.writeKey, secretKey: api.secretKey, concurrency: 3, requestEvents: 200 }));
  await api.flush();
  // Same engine directory (one per process), another database: a store of its own.
  bulkStore = await ChdbTransport.open({ path: api.app.options.engineDir as string, database: `bulk_${randomBytes(6).toString('hex')}` });
  await migrate(bulkStore);
  bulkWorkspace = (await bulkLoad(bulkStore, resolveDemoOptions({ ...demo, batchEvents: 1_000 }))).workspaceId;
});

afterAll(async () => {
  await bulkStore.close();
  await api.close();
});

describe('bulk loading', () => {
  it.each(Object.keys(TABLES))('writes the same %s rows as the ingestion pipeline', async (table) => {
    const { select, order } = TABLES[table] as { select: string; order: string };
    const sql = `SELECT ${select} FROM ${table} WHERE workspace_id = {w:String} ORDER BY ${order}`;
    const viaApi = await api.query(sql, { w: api.workspaceId });
    const viaBulk = await bulkStore.query(sql, { w: bulkWorkspace });
    expect(viaBulk).toEqual(viaApi);
    if (table === 'events' || table === 'profile_merges') expect(viaApi.length).toBeGreaterThan(0);
  });

  it('sets the segment settings of the demo in both modes', async () => {
    const r = await fetch(`${api.url}/v1/segments/settings`, { headers: { authorization: `Bearer ${api.secretKey}` } });
    expect(((await r.json()) as { settings: { rfm: { paidEvents: string[] } } }).settings.rfm.paidEvents).toEqual(['Purchase Completed']);
    const [row] = await bulkStore.query<{ settings: string }>('SELECT settings FROM workspaces FINAL WHERE id = {w:String}', { w: bulkWorkspace });
    expect(JSON.parse(row?.settings ?? '{}')).toMatchObject({ segments: { rfm: { paidEvents: ['Purchase Completed'] } } });
  });
});
