import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';
import { call as callApi, loadWallet, type Person } from './wallet.fixture.js';

/** The segment and computed-trait API around the queries: CRUD, errors, pages, exports, SQL, isolation. */
let api: TestApi;
let ids: Map<Person, string>;
const call = (method: string, path: string, body?: unknown) => callApi(api, method, path, body);
const topUpsTwice = { conditions: [{ type: 'event', event: 'Top Up Completed', operator: 'gte', value: 2, window: { last: '7d' } }] };
const hasEmail = { conditions: [{ type: 'trait', trait: 'email', operator: 'exists' }] };

beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
  ids = await loadWallet(api);
});

afterAll(async () => {
  await api.close();
});

describe('segments CRUD', () => {
  it('creates, reads, lists, replaces and deletes', async () => {
    const created = await call('POST', '/v1/segments', { name: 'Top-up twice', definition: topUpsTwice, memberTraits: ['email'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^seg_/), name: 'Top-up twice', description: '', memberTraits: ['email'] });
    expect(created.body.definition).toMatchObject({ version: 1, match: 'and', conditions: [{ type: 'event', aggregate: { fn: 'count' } }] });
    const id = created.body.id as string;
    expect((await call('GET', `/v1/segments/${id}`)).body).toEqual(created.body);
    expect((await call('GET', '/v1/segments')).body.segments.map((s: { id: string }) => s.id)).toContain(id);
    const replaced = await call('PUT', `/v1/segments/${id}`, { name: 'Has email', description: 'reachable', definition: hasEmail });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, name: 'Has email', description: 'reachable', memberTraits: [], createdAt: created.body.createdAt });
    expect((await call('GET', `/v1/segments/${id}/count`)).body).toMatchObject({ segmentId: id, count: 4 });
    expect((await call('DELETE', `/v1/segments/${id}`)).status).toBe(204);
    expect((await call('GET', `/v1/segments/${id}`)).status).toBe(404);
    expect((await call('GET', `/v1/segments/${id}/count`)).body).toMatchObject({ error: { code: 'not_found', path: 'id' } });
  });

  it.each([
    ['a bad window', { name: 'x', definition: { conditions: [{ type: 'trait', trait: 'a', operator: 'exists' }, { type: 'event', event: 'e' }, { type: 'event', event: 'e', window: { last: '100y' } }] } }, 'definition.conditions[2].window.last'],
    ['a huge window', { name: 'x', definition: { conditions: [{ type: 'event', event: 'e', window: { last: '99999d' } }] } }, 'definition.conditions[0].window.last'],
    ['no name', { definition: topUpsTwice }, 'name'],
    ['an unknown field', { name: 'x', definition: topUpsTwice, owner: 'me' }, ''],
    ['an unknown segment', { name: 'x', definition: { conditions: [{ type: 'not', condition: { type: 'segment', segmentId: 'seg_nope' } }] } }, 'definition.conditions[0].condition.segmentId'],
  ])('rejects %s with a 400 naming the offending part', async (_name, body, path) => {
    const r = await call('POST', '/v1/segments', body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    if (path !== '') expect(r.body.error.path).toBe(path);
    expect(r.body.error.message).toMatch(path === '' ? /Unrecognized key/ : new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: `));
  });

  it('refuses cycles between segments, and deleting a segment still in use', async () => {
    const a = (await call('POST', '/v1/segments', { name: 'A', definition: hasEmail })).body.id as string;
    const b = (await call('POST', '/v1/segments', { name: 'B', definition: { conditions: [{ type: 'segment', segmentId: a }] } })).body.id as string;
    const cycle = await call('PUT', `/v1/segments/${a}`, { name: 'A', definition: { conditions: [{ type: 'trait', trait: 'plan', operator: 'exists' }, { type: 'segment', segmentId: b }] } });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error).toEqual({ code: 'invalid_request', path: 'definition.conditions[1].segmentId', message: `definition.conditions[1].segmentId: segment references form a cycle: ${a} → ${b} → ${a}` });
    const inUse = await call('DELETE', `/v1/segments/${a}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error).toMatchObject({ code: 'conflict', path: 'id' });
    expect((await call('DELETE', `/v1/segments/${b}`)).status).toBe(204);
    expect((await call('DELETE', `/v1/segments/${a}`)).status).toBe(204);
  });

  it('runs hostile definitions as plain data', async () => {
    const hostile = "x') OR 1=1; DROP TABLE events; --";
    const r = await call('POST', '/v1/segments/preview', {
      definition: { match: 'or', conditions: [{ type: 'trait', trait: hostile, operator: 'eq', value: hostile }, { type: 'event', event: hostile, where: [{ property: [hostile], operator: 'in', value: [hostile] }] }] },
    });
    expect(r.body).toMatchObject({ count: 0, sample: [] });
    expect((await api.query<{ n: number }>('SELECT count() AS n FROM events'))[0]?.n).toBeGreaterThan(0);
  });

  it('takes thresholds past ±2^53 (valid numbers the embedded engine once refused to bind: a 500)', async () => {
    for (const value of [1e300, 2 ** 53 + 2, -1e308]) {
      const r = await call('POST', '/v1/segments/preview', {
        definition: {
          match: 'or',
          conditions: [
            { type: 'trait', trait: 'ltv', operator: 'gt', value },
            { type: 'event', event: 'Top Up', aggregate: { fn: 'sum', property: 'amount' }, operator: 'gte', value },
          ],
        },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
  });
});

describe('members, export and SQL', () => {
  let segmentId: string;
  beforeAll(async () => {
    segmentId = (await call('POST', '/v1/segments', { name: 'Has email', definition: hasEmail, memberTraits: ['email', 'plan'] })).body.id;
  });

  it('pages members in id order with a cursor and the selected traits', async () => {
    const seen: Array<{ id: string; traits: Record<string, unknown> }> = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await call('GET', `/v1/segments/${segmentId}/members?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(page.status).toBe(200);
      expect(page.body.members.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.members);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    const expected = (['ana', 'ben', 'eve', 'jon'] as const).map((p) => ids.get(p) as string).sort();
    expect(seen.map((m) => m.id)).toEqual(expected);
    expect(seen.find((m) => m.id === ids.get('ana'))?.traits).toEqual({ email: 'ana@wallet.example', plan: 'premium' });
    // A merged profile shows the survivor's traits.
    expect(seen.find((m) => m.id === ids.get('eve'))?.traits).toEqual({ email: 'eve@mail.example', plan: 'basic' });
    const chosen = await call('GET', `/v1/segments/${segmentId}/members?traits=plan&limit=1`);
    expect(chosen.body.members[0].traits).toEqual({ plan: expect.any(String) });
    const bad = await call('GET', `/v1/segments/${segmentId}/members?cursor=bogus`);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', path: 'cursor' });
    expect((await call('GET', `/v1/segments/${segmentId}/members?limit=5000`)).body.error.path).toBe('limit');
  });

  it('exports every member as NDJSON or CSV, streamed', async () => {
    const nd = await fetch(`${api.url}/v1/segments/${segmentId}/export`, { headers: { authorization: `Bearer ${api.secretKey}` } });
    expect(nd.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await nd.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: string; traits: Record<string, unknown> });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toEqual({ id: expect.any(String), traits: expect.objectContaining({ email: expect.any(String) }) });
    const csv = await fetch(`${api.url}/v1/segments/${segmentId}/export?format=csv&traits=email,tags`, { headers: { authorization: `Bearer ${api.secretKey}` } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toBe('profile_id,email,tags');
    expect(rows).toContain(`${ids.get('ana')},ana@wallet.example,"[""vip"",""beta""]"`);
    expect(rows).toHaveLength(5);
  });

  it('shows the SQL and parameters it runs', async () => {
    const r = await call('GET', `/v1/segments/${segmentId}/sql`);
    expect(r.body.sql).toContain('FROM profile_traits');
    expect(r.body.params).toMatchObject({ ws: api.workspaceId });
    // The SQL runs as given through the admin API (read-only), with the same answer.
    const admin = await fetch(`${api.url}/v1/admin/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: r.body.sql, params: r.body.params }),
    });
    expect(((await admin.json()) as { rows: unknown[] }).rows).toHaveLength(4);
  });
});

describe('settings of the built-ins', () => {
  it('reads and validates them', async () => {
    const r = await call('GET', '/v1/segments/settings');
    expect(r.body.settings).toMatchObject({ lifecycle: { activeDays: 7, churnedDays: 30 }, rfm: { paidEvents: ['Purchase Completed'], moneyProperty: 'amount' } });
    const bad = await call('PUT', '/v1/segments/settings', { lifecycle: { activeDays: 40 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', path: 'lifecycle.churnedDays' });
  });
});

describe('computed traits', () => {
  it('are defined per workspace and read on the profile, across merged ids', async () => {
    const defs = [
      { name: 'top_ups_7d', definition: { kind: 'count', event: 'Top Up Completed', window: { last: '7d' } } },
      { name: 'spend', definition: { kind: 'sum', event: 'Purchase Completed', property: 'amount' } },
      { name: 'favourite_category', definition: { kind: 'most_frequent', event: 'Purchase Completed', property: 'category' } },
      { name: 'first_category', definition: { kind: 'first', event: 'Purchase Completed', property: 'category' } },
      { name: 'last_category', definition: { kind: 'last', event: 'Purchase Completed', property: 'category' } },
      { name: 'categories', definition: { kind: 'unique_list', event: 'Purchase Completed', property: 'category' } },
      { name: 'category_count', definition: { kind: 'unique_count', event: 'Purchase Completed', property: 'category' } },
      { name: 'biggest', definition: { kind: 'max', event: 'Purchase Completed', property: 'amount' } },
      { name: 'first_top_up', definition: { kind: 'first_seen', event: 'Top Up Completed' } },
    ];
    for (const d of defs) expect((await call('POST', '/v1/computed-traits', d)).status).toBe(201);
    const taken = await call('POST', '/v1/computed-traits', defs[0]);
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'conflict', path: 'name' });
    const bad = await call('POST', '/v1/computed-traits', { name: 'x', definition: { kind: 'sum', event: 'e' } });
    expect(bad.body.error.path).toBe('definition.property');

    const eve = (await call('GET', `/v1/profiles/${ids.get('eve')}`)).body;
    expect(eve.mergedFrom).toHaveLength(1);
    expect(eve.computedTraits).toMatchObject({ top_ups_7d: 2, spend: 0, favourite_category: null, categories: [], category_count: 0, biggest: null });
    const cleo = (await call('GET', '/v1/profiles?identifier=user_id:cleo')).body;
    // travel 2×, electronics 1× → travel; first by time: travel (90.5 days ago); last: electronics (15 days ago).
    expect(cleo.computedTraits).toMatchObject({
      spend: 1250,
      favourite_category: 'travel',
      first_category: 'travel',
      last_category: 'electronics',
      categories: ['electronics', 'travel'],
      category_count: 2,
      biggest: 900,
      first_top_up: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    // Ties: ana bought food once and travel once → the first alphabetically.
    expect((await call('GET', `/v1/profiles/${ids.get('ana')}`)).body.computedTraits.favourite_category).toBe('food');

    const list = (await call('GET', '/v1/computed-traits')).body.computedTraits as Array<{ id: string; name: string }>;
    const spend = list.find((t) => t.name === 'spend') as { id: string };
    const renamed = await call('PUT', `/v1/computed-traits/${spend.id}`, { name: 'lifetime_spend', definition: defs[1]?.definition });
    expect(renamed.body).toMatchObject({ id: spend.id, name: 'lifetime_spend' });
    expect((await call('DELETE', `/v1/computed-traits/${spend.id}`)).status).toBe(204);
    expect((await call('GET', `/v1/profiles/${ids.get('cleo')}`)).body.computedTraits).not.toHaveProperty('lifetime_spend');
  });
});

describe('access', () => {
  it('needs a secret key and stays inside its workspace', async () => {
    const anon = await fetch(`${api.url}/v1/segments`);
    expect(anon.status).toBe(401);
    const write = await fetch(`${api.url}/v1/segments`, { headers: { authorization: `Bearer ${api.writeKey}` } });
    expect(write.status).toBe(403);
    const created = await fetch(`${api.url}/v1/admin/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Other' }),
    });
    const other = (await created.json()) as { secretKey: string };
    const mine = (await call('POST', '/v1/segments', { name: 'Mine', definition: hasEmail })).body.id as string;
    const theirs = await fetch(`${api.url}/v1/segments/${mine}/count`, { headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(theirs.status).toBe(404);
    const preview = await fetch(`${api.url}/v1/segments/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ definition: hasEmail }),
    });
    expect(await preview.json()).toMatchObject({ count: 0, sample: [] });
  });
});
