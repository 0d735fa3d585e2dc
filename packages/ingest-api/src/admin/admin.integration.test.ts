import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../tenancy/keys.js';
import { startTestApi, type TestApi } from '../testing/index.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

const admin = (path: string, init: { method?: string; body?: unknown; key?: string } = {}) =>
  fetch(`${api.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${init.key ?? api.adminKey}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });

const track = (writeKey: string, messageId: string) =>
  fetch(`${api.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
    body: JSON.stringify({ userId: 'u', event: 'x', messageId }),
  });

describe('admin API', () => {
  it('creates a workspace and returns its keys once; only hashes are stored', async () => {
    const res = await admin('/v1/admin/workspaces', { body: { name: 'Wallet EU' } });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { workspace: { id: string; name: string }; writeKey: string; secretKey: string };
    expect(created.workspace.name).toBe('Wallet EU');
    expect(created.writeKey).toMatch(/^wk_/);
    expect(created.secretKey).toMatch(/^sk_/);
    const stored = await api.query<{ key_hash: string; kind: string }>('SELECT key_hash, kind FROM api_keys WHERE workspace_id = {w:String}', { w: created.workspace.id });
    expect(stored.map((r) => r.key_hash).sort()).toEqual([hashKey(created.writeKey), hashKey(created.secretKey)].sort());
    const everything = JSON.stringify(await api.query('SELECT * FROM api_keys'));
    expect(everything).not.toContain(created.writeKey);
    expect(everything).not.toContain(created.secretKey);
    const keys = (await (await admin(`/v1/admin/workspaces/${created.workspace.id}/keys`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.keys).toHaveLength(2);
    expect(JSON.stringify(keys)).not.toContain(created.writeKey.slice(8));
    const list = (await (await admin('/v1/admin/workspaces')).json()) as { workspaces: Array<{ id: string }> };
    expect(list.workspaces.map((w) => w.id)).toEqual(expect.arrayContaining(['default', created.workspace.id]));
  });

  it('takes JSON bodies with lone UTF-16 surrogates (stored as U+FFFD; ClickHouse refuses them as they are)', async () => {
    const res = await fetch(`${api.url}/v1/admin/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: '{"name":"Wallet \\udc00"}',
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { workspace: { name: string } }).workspace.name).toBe('Wallet \ufffd');
  });

  it('keeps tenants apart: a write key writes only into its own workspace', async () => {
    const created = (await (await admin('/v1/admin/workspaces', { body: { name: 'B' } })).json()) as { workspace: { id: string }; writeKey: string };
    expect((await track(created.writeKey, 'tenant-b-1')).status).toBe(200);
    expect((await track(api.writeKey, 'tenant-a-1')).status).toBe(200);
    await api.flush();
    const rows = await api.query<{ workspace_id: string; message_id: string }>("SELECT workspace_id, message_id FROM events WHERE message_id LIKE 'tenant-%' ORDER BY message_id");
    expect(rows).toEqual([
      { workspace_id: 'default', message_id: 'tenant-a-1' },
      { workspace_id: created.workspace.id, message_id: 'tenant-b-1' },
    ]);
  });

  it('creates and revokes keys', async () => {
    const created = (await (await admin(`/v1/admin/workspaces/${api.workspaceId}/keys`, { body: { kind: 'write' } })).json()) as { key: string; keyId: string };
    expect((await track(created.key, 'newkey-1')).status).toBe(200);
    const del = await admin(`/v1/admin/workspaces/${api.workspaceId}/keys/${created.keyId}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await track(created.key, 'newkey-2')).status).toBe(401);
    expect((await admin(`/v1/admin/workspaces/${api.workspaceId}/keys/${created.keyId}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('runs read-only SQL with bound parameters and refuses writes', async () => {
    await track(api.writeKey, 'sql-1');
    await api.flush();
    const ok = await admin('/v1/admin/sql', { body: { query: 'SELECT event, user_id FROM events WHERE message_id = {m:String}', params: { m: 'sql-1' } } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ rows: [{ event: 'x', user_id: 'u' }], truncated: false });
    const capped = (await (await admin('/v1/admin/sql', { body: { query: 'SELECT number FROM system.numbers LIMIT 150000' } })).json()) as { rows: unknown[]; truncated: boolean };
    expect(capped.truncated).toBe(true);
    expect(capped.rows.length).toBeGreaterThanOrEqual(100_000);
    expect(capped.rows.length).toBeLessThan(150_000);
    for (const query of ['INSERT INTO events (workspace_id, message_id) VALUES (\'x\', \'y\')', 'DROP TABLE events', 'ALTER TABLE events DELETE WHERE 1', 'SET readonly = 0']) {
      const res = await admin('/v1/admin/sql', { body: { query } });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'query_failed' } });
    }
    const bad = await admin('/v1/admin/sql', { body: { query: 'SELEC nonsense' } });
    expect(bad.status).toBe(400);
    const noQuery = await admin('/v1/admin/sql', { body: { params: {} } });
    expect(await noQuery.json()).toMatchObject({ error: { code: 'invalid_request', path: 'query' } });
    expect(Number((await api.query<{ n: number }>("SELECT count() AS n FROM events WHERE message_id = 'sql-1'"))[0]?.n)).toBe(1);
  });

  it('refuses SQL integer parameters past ±2^53 (digits already lost in JSON), naming the parameter', async () => {
    const lost = await admin('/v1/admin/sql', { body: { query: 'SELECT {id:UInt64} AS id', params: { id: 2 ** 53 + 2 } } });
    expect(lost.status).toBe(400);
    expect(await lost.json()).toMatchObject({ error: { code: 'invalid_request', path: 'params.id' } });
    const exact = await admin('/v1/admin/sql', { body: { query: 'SELECT {id:UInt64} AS id', params: { id: '9007199254740993' } } });
    expect(await exact.json()).toMatchObject({ rows: [{ id: expect.anything() }] });
    // Past the 64-bit range a number can only be a float: bound as is.
    const float = await admin('/v1/admin/sql', { body: { query: 'SELECT {x:Float64} AS x', params: { x: 1e300 } } });
    expect(await float.json()).toMatchObject({ rows: [{ x: 1e300 }] });
  });

  it('refuses a wrong admin key, write keys and secret keys', async () => {
    for (const key of ['nope', api.writeKey, api.secretKey]) {
      const res = await admin('/v1/admin/workspaces', { key });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_admin_key' } });
    }
    const invalid = await admin('/v1/admin/workspaces', { body: { name: '' } });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 'invalid_request', path: 'name' } });
  });
});

it('answers 403 on admin routes when no admin key is configured', async () => {
  const bare = await startTestApi({ options: { adminKey: undefined } });
  const res = await fetch(`${bare.url}/v1/admin/workspaces`, { headers: { authorization: `Bearer ${bare.adminKey}` } });
  expect(res.status).toBe(403);
  expect(await res.json()).toMatchObject({ error: { code: 'admin_disabled' } });
  await bare.close();
});
