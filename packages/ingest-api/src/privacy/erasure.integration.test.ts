import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';
import { activityAndEvents } from '../testing/activity.js';
import { adminSql, findEverywhere, postPrivacyRequest, waitForRequest } from './test-helpers.js';

let api: TestApi;
let seq = 0;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

const tag = Math.random().toString(36).slice(2, 8);
const alice = {
  anonWeb: `anon-web-${tag}`,
  anonApp: `anon-app-${tag}`,
  userId: `alice-${tag}`,
  email: `alice.${tag}@bank.example`,
  phone: '+8613912345678',
  device: `device-${tag}`,
};

/** Spool files (segments, checkpoint, intent) that mention one of the needles. */
function inSpool(needles: readonly string[]): string[] {
  const dir = join(api.dataDir, 'spool');
  return readdirSync(dir).filter((f) => {
    const text = readFileSync(join(dir, f), 'utf8').toLowerCase();
    return needles.some((n) => text.includes(n.toLowerCase()));
  });
}

async function send(events: Array<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const batch = events.map((e) => ({ messageId: `m-${tag}-${++seq}`, timestamp: new Date(Date.UTC(2026, 0, 1) + seq * 60_000).toISOString(), ...e }));
  const res = await fetch(`${api.url}/v1/batch`, { method: 'POST', body: JSON.stringify({ writeKey: api.writeKey, batch }) });
  expect(res.status).toBe(200);
  await api.flush();
  return (await res.json()) as Record<string, unknown>;
}

const get = (path: string) => fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.secretKey}` } });
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
};
/** Profile ids in a segment, computed live. */
const membersOf = async (segmentId: string) =>
  ((await (await get(`/v1/segments/${segmentId}/members?limit=1000`)).json()) as { members: Array<{ id: string }> }).members.map((m) => m.id);
const profileOf = async (identifier: string) => get(`/v1/profiles?identifier=${encodeURIComponent(identifier)}`);

/** Alice: two profiles (web and app) merged by her login, events under both, traits, a dead letter. */
async function buildAlice(): Promise<{ survivor: string; merged: string }> {
  await send([{ type: 'page', anonymousId: alice.anonWeb, name: 'Home', context: { device: { id: alice.device } } }]);
  await send([{ type: 'screen', anonymousId: alice.anonApp, name: 'Wallet' }]);
  const web = (await (await profileOf(`anonymous_id:${alice.anonWeb}`)).json()) as { id: string };
  const app = (await (await profileOf(`anonymous_id:${alice.anonApp}`)).json()) as { id: string };
  await send([
    { type: 'identify', userId: alice.userId, anonymousId: alice.anonWeb, traits: { email: ` Alice.${tag}@Bank.EXAMPLE `, phone: '139 1234 5678', plan: 'gold' } },
  ]);
  await send([
    { type: 'identify', userId: alice.userId, anonymousId: alice.anonApp, traits: { plan: 'platinum' } },
    { type: 'track', anonymousId: alice.anonApp, event: 'Transfer Sent', properties: { amount: 120, note: `rent from ${alice.userId}` } },
    { type: 'track', anonymousId: alice.anonWeb, event: 'Card Frozen', context: { traits: { email: alice.email } } },
    // Invalid (empty event name): a dead letter carrying her ids.
    { type: 'track', userId: alice.userId, event: '', properties: { email: alice.email } },
  ]);
  expect(web.id).not.toBe(app.id);
  return { survivor: web.id, merged: app.id };
}

describe('privacy requests', () => {
  let person: { survivor: string; merged: string };
  let platinum: string;
  beforeAll(async () => {
    person = await buildAlice();
    // Profiling about her: a computed trait and an audience she is in.
    await post('/v1/computed-traits', { name: 'transfers', definition: { kind: 'count', event: 'Transfer Sent' } });
    platinum = (await post('/v1/segments', { name: 'Platinum', definition: { conditions: [{ type: 'trait', trait: 'plan', operator: 'eq', value: 'platinum' }] } })).id;
    // Bob, whose data must survive; one of his events carries Alice's email (dropped from his profile: limit conflict).
    await send([
      { type: 'identify', userId: `bob-${tag}`, anonymousId: `anon-bob-${tag}`, traits: { plan: 'basic' } },
      { type: 'identify', userId: `bob-${tag}`, traits: { email: alice.email } },
      { type: 'track', userId: `bob-${tag}`, event: 'Top Up' },
    ]);
  });

  it('rejects bad requests with a 400 naming the field', async () => {
    expect((await postPrivacyRequest(api, { type: 'erasure', identifier: 'email:null' })).status).toBe(400);
    expect((await postPrivacyRequest(api, { type: 'erasure', identifier: 'shoe_size:42' })).status).toBe(400);
    const both = await postPrivacyRequest(api, { type: 'access', identifier: `user_id:${alice.userId}`, profileId: 'x' });
    expect(both.status).toBe(400);
    expect((both.body as unknown as { error: { path: string } }).error.path).toBe('identifier');
    const noKey = await fetch(`${api.url}/v1/privacy/requests`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(noKey.status).toBe(401);
  });

  it('exports exactly what the tables hold about the person', async () => {
    const created = await postPrivacyRequest(api, { type: 'access', identifier: `email:${alice.email.toUpperCase()}` });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('pending');
    const done = await waitForRequest(api, created.body.requestId);
    expect(done).toMatchObject({ status: 'done', export: `/v1/privacy/requests/${created.body.requestId}/export` });
    const res = await get(done.export ?? '');
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const of = (kind: string) => lines.filter((l) => l['kind'] === kind);

    const ids = [person.survivor, person.merged];
    const w = { w: api.workspaceId, ids };
    expect(of('request')).toHaveLength(1);
    const profile = (await (await get(`/v1/profiles/${person.merged}`)).json()) as Record<string, unknown>;
    expect(profile['computedTraits']).toEqual({ transfers: 1 });
    expect(of('profile')).toEqual([{ kind: 'profile', ...profile }]);
    // Her events across both profiles, and Bob's identify that carried her email (resolution dropped it from him).
    const events = await api.query(
      `SELECT * FROM events WHERE workspace_id = {w:String} AND (profile_id IN {ids:Array(String)} OR positionCaseInsensitive(traits, {e:String}) > 0)
       ORDER BY timestamp, message_id`,
      { ...w, e: alice.email },
    );
    expect(events.length).toBe(7);
    expect(of('event').map((l) => l['row'])).toEqual(events);
    const identities = await api.query<{ id_type: string; id_value: string; owner: string }>(
      `SELECT id_type, id_value, argMax(profile_id, version) AS owner FROM identities WHERE workspace_id = {w:String}
       GROUP BY id_type, id_value HAVING argMax(deleted, version) = 0 AND owner IN {ids:Array(String)} ORDER BY id_type, id_value`,
      w,
    );
    expect(identities.map((i) => `${i.id_type}:${i.id_value}`)).toEqual([
      `anonymous_id:${alice.anonApp}`,
      `anonymous_id:${alice.anonWeb}`,
      `device_id:${alice.device}`,
      `email:${alice.email}`,
      `phone:${alice.phone}`,
      `user_id:${alice.userId}`,
    ]);
    expect(of('identity').map((l) => `${String(l['type'])}:${String(l['value'])}:${String(l['profileId'])}`).sort()).toEqual(
      identities.map((i) => `${i.id_type}:${i.id_value}:${i.owner}`).sort(),
    );
    const traits = await api.query<{ key: string; val: string }>(
      `SELECT key, argMax(value, version) AS val FROM profile_traits WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
       GROUP BY profile_id, key HAVING argMax(deleted, version) = 0 ORDER BY key`,
      w,
    );
    expect(of('trait').map((l) => [l['key'], l['value']]).sort()).toEqual(traits.map((t) => [t.key, JSON.parse(t.val) as unknown]));
    const merges = await api.query<{ from_profile: string; into_profile: string }>(
      'SELECT from_profile, into_profile FROM profile_merges WHERE workspace_id = {w:String} AND from_profile IN {ids:Array(String)}',
      w,
    );
    expect(of('merge').map((l) => [l['from'], l['into']])).toEqual(merges.map((m) => [m.from_profile, m.into_profile]));
    expect(merges).toEqual([{ from_profile: person.merged, into_profile: person.survivor }]);
    const dead = await api.query('SELECT * FROM dead_letters WHERE position(payload, {u:String}) > 0 ORDER BY received_at, message_id', { u: alice.userId });
    expect(dead).toHaveLength(1);
    expect(of('dead_letter').map((l) => l['row'])).toEqual(dead);
    // Bob's own events are not part of it.
    expect(JSON.stringify(lines)).not.toContain('Top Up');
  });

  it('erases everything about the person and keeps it from coming back', { timeout: 60_000 }, async () => {
    // Admin SQL whose text names her: the audit log records it, and the erasure must redact it.
    await adminSql(api, `SELECT count() AS n FROM events WHERE user_id = '${alice.userId}'`);
    const bobBefore = (await (await profileOf(`user_id:bob-${tag}`)).json()) as { id: string };
    expect(await membersOf(platinum)).toEqual([person.survivor]);

    const created = await postPrivacyRequest(api, { type: 'erasure', identifier: `phone:139-1234-5678` });
    expect(created.status).toBe(202);
    const done = await waitForRequest(api, created.body.requestId);
    expect(done.status).toBe('done');
    expect(done.result).toMatchObject({ profiles: 2, identifiers: 6, events: 7, deadLetters: 1 });

    const needles = [...Object.values(alice), alice.email.toUpperCase(), person.survivor, person.merged];
    expect(await findEverywhere(api, needles)).toEqual([]);
    // The spool segment that held her events was sealed, consumed and deleted.
    expect(inSpool([alice.userId, alice.email, alice.anonApp])).toEqual([]);
    // Nor in the mutations ClickHouse records (their text is kept beside the tables' data).
    const mutations = await api.query<{ command: string }>('SELECT command FROM system.mutations WHERE database = currentDatabase()');
    expect(mutations.length).toBeGreaterThan(0);
    for (const n of needles) expect(mutations.filter((m) => m.command.includes(n))).toEqual([]);

    for (const identifier of [`email:${alice.email}`, `user_id:${alice.userId}`, `anonymous_id:${alice.anonApp}`]) {
      expect((await profileOf(identifier)).status).toBe(404);
    }
    expect((await get(`/v1/profiles/${person.merged}`)).status).toBe(404);
    // Audiences are computed from the stored rows: she has left them.
    expect(await membersOf(platinum)).toEqual([]);
    // The earlier access export went with her.
    const exports = await api.query<{ n: number }>('SELECT count() AS n FROM privacy_exports');
    expect(Number(exports[0]?.n)).toBe(0);
    // Bob keeps his profile and the events that are only his.
    const bob = (await (await profileOf(`user_id:bob-${tag}`)).json()) as { id: string; identities: unknown[] };
    expect(bob.id).toBe(bobBefore.id);
    const bobEvents = await api.query<{ event: string }>('SELECT event FROM events WHERE user_id = {u:String} ORDER BY timestamp', { u: `bob-${tag}` });
    expect(bobEvents.map((e) => e.event)).toEqual(['', 'Top Up']);
    // His first/last activity is recomputed without the deleted event that carried her email.
    const activity = await activityAndEvents(api.query);
    expect(activity.activity).toEqual(activity.events);
    expect(activity.events.filter((r) => r.includes(bob.id))).toHaveLength(2);

    // She comes back with her old email and user id: nothing is stored, nothing resolves.
    const again = await send([
      { type: 'identify', userId: alice.userId, anonymousId: `anon-new-${tag}`, traits: { email: alice.email } },
      { type: 'track', anonymousId: `anon-other-${tag}`, event: 'Signed Up', context: { traits: { email: ` ${alice.email.toUpperCase()}` } } },
      { type: 'alias', userId: `new-user-${tag}`, previousId: alice.userId },
      { type: 'track', userId: alice.userId, event: '' },
    ]);
    expect(again).toMatchObject({ accepted: 3 });
    expect(await findEverywhere(api, [...needles, `anon-new-${tag}`, `anon-other-${tag}`, `new-user-${tag}`])).toEqual([]);
    expect(inSpool([alice.userId, alice.email])).toEqual([]);
    expect((await profileOf(`user_id:${alice.userId}`)).status).toBe(404);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/cdp_events_suppressed_total 4/);

    // Audited: who asked, and the completion; the entries hold the salted hash, not the phone number.
    const audit = (await (
      await fetch(`${api.url}/v1/admin/audit?workspaceId=${api.workspaceId}&action=privacy.erasure.complete`, { headers: { authorization: `Bearer ${api.adminKey}` } })
    ).json()) as { entries: Array<{ keyId: string; outcome: string; target: string; details: Record<string, unknown> }> };
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ keyId: 'key_env_secret', outcome: 'ok', target: created.body.requestId });
    expect(audit.entries[0]?.details['subjectHash']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('erasure after an unmerge', () => {
  it('also removes the retired profile that once glued the person to others, and only its history', { timeout: 60_000 }, async () => {
    const kiosk = `kiosk-${tag}`;
    // Fay's first event has the kiosk device as its strongest identifier: the glued profile's id derives from it,
    // so the replay after the block cannot reuse it and retires it.
    for (const who of ['fay', 'gus']) {
      await send([
        { type: 'page', anonymousId: `${who}-${tag}`, name: 'Branch', context: { device: { id: kiosk } } },
        { type: 'identify', anonymousId: `${who}-${tag}`, traits: { email: `${who}.${tag}@mail.example` }, context: { device: { id: kiosk } } },
      ]);
    }
    const glued = (await (await profileOf(`device_id:${kiosk}`)).json()) as { id: string; mergedFrom: string[] };
    const block = await fetch(`${api.url}/v1/admin/workspaces/${api.workspaceId}/identity/block`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'device_id', value: kiosk }),
    });
    expect(block.status).toBe(200);
    const gusBefore = (await (await profileOf(`email:gus.${tag}@mail.example`)).json()) as { id: string };
    const fay = (await (await profileOf(`email:fay.${tag}@mail.example`)).json()) as { id: string };
    expect(glued.mergedFrom).toEqual([]);
    expect([fay.id, gusBefore.id]).not.toContain(glued.id);

    const created = await postPrivacyRequest(api, { type: 'erasure', identifier: `email:fay.${tag}@mail.example` });
    expect((await waitForRequest(api, created.body.requestId)).status).toBe('done');
    // The glued profile (retired by the unmerge) named Fay's identifiers: gone, with the job that recorded her.
    expect(await findEverywhere(api, [`fay-${tag}`, `fay.${tag}@mail.example`, glued.id])).toEqual([]);
    // Gus keeps his current profile, identifiers and events.
    const gus = (await (await profileOf(`email:gus.${tag}@mail.example`)).json()) as { id: string; identities: Array<{ value: string }> };
    expect(gus.id).toBe(gusBefore.id);
    expect(gus.identities.map((i) => i.value).sort()).toEqual([`gus-${tag}`, `gus.${tag}@mail.example`]);
    const events = await api.query<{ n: number }>('SELECT count() AS n FROM events WHERE anonymous_id = {a:String}', { a: `gus-${tag}` });
    expect(Number(events[0]?.n)).toBe(2);
  });
});

describe('erasure with identity resolution off', () => {
  it('erases by the user and anonymous id columns, and suppresses them', async () => {
    const plain = await startTestApi({ options: { rateLimit: { max: 0 }, identityResolution: false } });
    try {
      const post = (batch: Array<Record<string, unknown>>) =>
        fetch(`${plain.url}/v1/batch`, { method: 'POST', body: JSON.stringify({ writeKey: plain.writeKey, batch }) });
      await post([
        { type: 'track', userId: ' hal ', event: 'Top Up', messageId: 'hal-1' },
        { type: 'track', anonymousId: '6F9619FF-8B86-D011-B42D-00C04FC964FF', event: 'Opened', messageId: 'hal-2' },
        { type: 'track', userId: 'ida', event: 'Top Up', messageId: 'ida-1' },
      ]);
      await plain.flush();
      for (const identifier of ['user_id:hal', 'anonymous_id:6f9619ff-8b86-d011-b42d-00c04fc964ff']) {
        const created = await postPrivacyRequest(plain, { type: 'erasure', identifier });
        expect((await waitForRequest(plain, created.body.requestId)).status).toBe('done');
      }
      await post([{ type: 'track', userId: 'hal', event: 'Back', messageId: 'hal-3' }]);
      await plain.flush();
      expect(await plain.query('SELECT message_id FROM events ORDER BY message_id')).toEqual([{ message_id: 'ida-1' }]);
    } finally {
      await plain.close();
    }
  });
});
