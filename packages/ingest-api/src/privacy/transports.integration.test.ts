import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttpFront, startTestApi, type ClickHouseHttpFront, type TestApi } from '../testing/index.js';
import { postPrivacyRequest, waitForRequest } from './test-helpers.js';

// Retention, the audit log and erasure run the same SQL on the embedded engine and a ClickHouse server.
// libchdb allows one engine directory per process: the server transport reaches the embedded
// instance's engine through the test-only ClickHouse HTTP front, in its own database.
let embedded: TestApi;
let front: ClickHouseHttpFront;
let server: TestApi;
beforeAll(async () => {
  embedded = await startTestApi({ options: { rateLimit: { max: 0 } } });
  front = await startClickHouseHttpFront({ path: embedded.app.options.engineDir ?? '' });
  server = await startTestApi({ options: { rateLimit: { max: 0 }, clickhouseUrl: front.url } });
});
afterAll(async () => {
  await server.close();
  await front.close();
  await embedded.close();
});

const DAY = 86_400_000;

describe.each([
  ['embedded', () => embedded],
  ['server', () => server],
])('on the %s transport', (_name, current) => {
  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const api = current();
    const res = await fetch(`${api.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${api.adminKey}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  };
  const send = async (batch: Array<Record<string, unknown>>) => {
    const api = current();
    const res = await fetch(`${api.url}/v1/batch`, { method: 'POST', body: JSON.stringify({ writeKey: api.writeKey, batch }) });
    expect(res.status).toBe(200);
    await api.flush();
  };
  const rowsOf = async (table: 'events' | 'dead_letters') =>
    (await current().query<{ message_id: string; retention_days: number }>(`SELECT message_id, retention_days FROM ${table} ORDER BY message_id`)).map(
      (r) => [r.message_id, Number(r.retention_days)],
    );

  it('keeps rows for the workspace retention: stamped at insert, updated on change, deleted by the TTL', async () => {
    const api = current();
    await send([{ type: 'track', event: 'x', userId: 'u', messageId: 'before' }]);
    // Rows received long ago, kept so far (retention 0: forever).
    const old = (messageId: string, workspace: string) =>
      JSON.stringify({ workspace_id: workspace, message_id: messageId, type: 'track', timestamp: new Date(Date.now() - 40 * DAY).toISOString(), received_at: new Date(Date.now() - 40 * DAY).toISOString() });
    await api.app.store.insert({ table: 'events', rows: [old('old-default', 'default'), old('old-other', 'other')].join('\n') });

    const put = await call('/v1/admin/workspaces/default/privacy', { method: 'PUT', body: { retention: { eventsDays: 30, deadLettersDays: 7 } } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ settings: { retention: { eventsDays: 30, deadLettersDays: 7 } } });
    // Existing rows follow the new setting; the 40-day-old row of this workspace is past it and gone.
    expect(await rowsOf('events')).toEqual([
      ['before', 30],
      ['old-other', 0],
    ]);
    await send([
      { type: 'track', event: 'x', userId: 'u', messageId: 'after' },
      { type: 'track', event: '', userId: 'u', messageId: 'dead' },
    ]);
    expect(await rowsOf('events')).toEqual([
      ['after', 30],
      ['before', 30],
      ['old-other', 0],
    ]);
    expect(await rowsOf('dead_letters')).toEqual([['dead', 7]]);
    // The TTL itself: a row received 31 days ago with a 30-day retention is deleted at the next TTL merge.
    await api.app.store.insert({ table: 'events', rows: JSON.stringify({ ...(JSON.parse(old('expired', 'default')) as object), retention_days: 30 }) });
    await api.app.store.command('OPTIMIZE TABLE events FINAL');
    expect((await rowsOf('events')).map((r) => r[0])).toEqual(['after', 'before', 'old-other']);
    expect((await call('/v1/admin/workspaces/default/privacy')).body).toEqual({ settings: { retention: { eventsDays: 30, deadLettersDays: 7 } } });
  });

  it('audits every admin action with who, what and the outcome; filters and pages', async () => {
    const created = await call('/v1/admin/workspaces', { body: { name: 'Audited' } });
    const ws = (created.body['workspace'] as { id: string }).id;
    const key = (await call(`/v1/admin/workspaces/${ws}/keys`, { body: { kind: 'secret' } })).body as { keyId: string; key: string };
    await call(`/v1/admin/workspaces/${ws}/keys/${key.keyId}`, { method: 'DELETE' });
    await call(`/v1/admin/workspaces/${ws}/identity`, { method: 'PUT', body: { blocklist: ['kiosk-1'], setOnceTraits: ['first_seen'] } });
    await call(`/v1/admin/workspaces/${ws}/identity/block`, { body: { type: 'device_id', value: 'kiosk-9' } });
    expect((await call(`/v1/admin/workspaces/${ws}/privacy`, { method: 'PUT', body: { pii: { drop: ['nope'] } } })).status).toBe(400);
    await call('/v1/admin/sql', { body: { query: 'SELECT {n:UInt8} AS n', params: { n: 1 } } });
    // Not authenticated: not an admin action (the request log has it).
    const api = current();
    await fetch(`${api.url}/v1/admin/workspaces`, { headers: { authorization: 'Bearer wrong-key-wrong-key' } });

    const list = async (query: string) => (await call(`/v1/admin/audit?${query}`)).body as { entries: Array<Record<string, unknown>>; nextCursor: string | null };
    const mine = await list(`workspaceId=${ws}&limit=100`);
    expect(mine.entries.map((e) => [e['action'], e['outcome']])).toEqual([
      ['privacy.config.update', 'error'],
      ['identity.unmerge', 'ok'],
      ['identity.config.update', 'ok'],
      ['key.revoke', 'ok'],
      ['key.create', 'ok'],
      ['workspace.create', 'ok'],
    ]);
    const byAction = Object.fromEntries(mine.entries.map((e) => [e['action'], e]));
    expect(byAction['workspace.create']).toMatchObject({ keyId: 'admin', target: ws, status: 201, details: { name: 'Audited' } });
    expect(byAction['key.create']).toMatchObject({ target: key.keyId, details: { kind: 'secret' } });
    expect(byAction['key.revoke']).toMatchObject({ target: key.keyId, status: 204 });
    expect(byAction['identity.config.update']).toMatchObject({ details: { setOnceTraits: ['first_seen'], blocklistEntries: 1 } });
    expect(byAction['privacy.config.update']).toMatchObject({ status: 400, errorCode: 'invalid_request' });
    const unmerge = byAction['identity.unmerge'] as { details: Record<string, unknown> };
    expect(unmerge.details['valueHash']).toMatch(/^[0-9a-f]{64}$/);
    // Keys and blocked values never reach the log.
    const all = JSON.stringify(await list('limit=1000'));
    expect(all).not.toContain(key.key);
    expect(all).not.toContain('kiosk-9');
    expect(all).not.toContain('wrong-key');
    const sql = await list('action=sql.query&limit=1');
    expect(sql.entries[0]).toMatchObject({ workspaceId: '', details: { query: 'SELECT {n:UInt8} AS n', params: ['n'], rows: 1 } });
    const errors = await list(`outcome=error&workspaceId=${ws}`);
    expect(errors.entries.map((e) => e['action'])).toEqual(['privacy.config.update']);

    // Pages of 2 walk the same entries in the same order.
    const paged: unknown[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await list(`workspaceId=${ws}&limit=2${cursor === '' ? '' : `&cursor=${cursor}`}`);
      paged.push(...page.entries);
      cursor = page.nextCursor;
    }
    expect(paged).toEqual(mine.entries);
    expect((await call('/v1/admin/audit?cursor=nonsense')).status).toBe(400);
  });

  it('erases a person', async () => {
    const api = current();
    await send([
      { type: 'identify', userId: 'eve', anonymousId: 'eve-phone', traits: { email: 'eve@mail.example', phone: '+33 6 12 34 56 78' }, messageId: 'eve-1' },
      { type: 'track', anonymousId: 'eve-phone', event: 'Top Up', messageId: 'eve-2' },
      { type: 'track', userId: 'frank', event: 'Top Up', messageId: 'frank-1' },
    ]);
    const created = await postPrivacyRequest(api, { type: 'erasure', identifier: 'phone:+33612345678' });
    expect(created.status).toBe(202);
    expect((await waitForRequest(api, created.body.requestId)).result).toMatchObject({ profiles: 1, identifiers: 4, events: 2 });
    const left = await api.query<{ message_id: string }>("SELECT message_id FROM events WHERE message_id LIKE 'eve-%' OR message_id = 'frank-1'");
    expect(left).toEqual([{ message_id: 'frank-1' }]);
    const ids = await api.query('SELECT id_value FROM identities WHERE id_value IN {v:Array(String)}', { v: ['eve', 'eve-phone', 'eve@mail.example', '+33612345678'] });
    expect(ids).toEqual([]);
    await send([{ type: 'track', userId: 'eve', event: 'Back', messageId: 'eve-3' }]);
    expect(await api.query("SELECT message_id FROM events WHERE message_id = 'eve-3'")).toEqual([]);
  });
});
