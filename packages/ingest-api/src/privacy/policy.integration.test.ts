import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';
import { saltedHash } from './salts.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

const admin = async (path: string, method: string, body?: unknown) => {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** A fresh workspace with the given privacy settings; returns its id and write key. */
async function workspace(settings: unknown): Promise<{ id: string; writeKey: string }> {
  const created = await admin('/v1/admin/workspaces', 'POST', { name: 'privacy test' });
  const ws = created.body as { workspace: { id: string }; writeKey: string };
  const put = await admin(`/v1/admin/workspaces/${ws.workspace.id}/privacy`, 'PUT', settings);
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  return { id: ws.workspace.id, writeKey: ws.writeKey };
}

async function send(writeKey: string, batch: Array<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const res = await fetch(`${api.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  await api.flush();
  return (await res.json()) as Record<string, unknown>;
}

const stored = async (workspaceId: string) =>
  (await api.query<{ message_id: string }>('SELECT message_id FROM events WHERE workspace_id = {w:String} ORDER BY message_id', { w: workspaceId })).map(
    (r) => r.message_id,
  );

const adClicked = (messageId: string, context?: Record<string, unknown>) => ({
  type: 'track',
  event: 'Ad Clicked',
  userId: 'u1',
  messageId,
  properties: { email: 'u1@mail.example', campaign: 'spring' },
  context: { ip: '203.0.113.9', traits: { email: 'u1@mail.example' }, ...context },
});

describe('consent enforcement', () => {
  const rules = [
    { types: ['track'], events: ['Ad Clicked'], categories: ['Advertising'] },
    { types: ['page'], categories: ['Analytics'] },
  ];

  it('drops events whose required category is not granted, in both wire shapes', async () => {
    const ws = await workspace({ consent: { rules, onDenied: 'drop' } });
    const result = await send(ws.writeKey, [
      adClicked('seg-granted', { consent: { categoryPreferences: { Advertising: true, Analytics: false } } }),
      adClicked('seg-denied', { consent: { categoryPreferences: { Advertising: false, Analytics: true } } }),
      adClicked('seg-unlisted', { consent: { categoryPreferences: { Analytics: true } } }),
      adClicked('rs-granted', { consentManagement: { provider: 'custom', allowedConsentIds: ['Advertising'], deniedConsentIds: [] } }),
      adClicked('rs-denied', { consentManagement: { provider: 'oneTrust', allowedConsentIds: ['Analytics'], deniedConsentIds: ['Advertising'] } }),
      adClicked('no-consent-info'),
      { type: 'track', event: 'Transfer Sent', userId: 'u1', messageId: 'no-rule' },
      { type: 'page', name: 'Home', userId: 'u1', messageId: 'page-denied', context: { consent: { categoryPreferences: { Advertising: true } } } },
      { type: 'track', event: '', userId: 'u1', messageId: 'invalid' },
    ]);
    expect(result).toMatchObject({ accepted: 3, dropped: 5 });
    expect((result['rejected'] as unknown[]).length).toBe(1);
    expect(await stored(ws.id)).toEqual(['no-rule', 'rs-granted', 'seg-granted']);
    // Dropped events are valid: a batch of them and an invalid one is not an error.
    const mixed = await send(ws.writeKey, [adClicked('dropped-again'), { type: 'track', event: '', userId: 'u1' }]);
    expect(mixed).toMatchObject({ accepted: 0, dropped: 1 });
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/cdp_ingest_events_consent_dropped_total [1-9]/);
  });

  it('stores denied events without the configured personal fields when the action is strip', async () => {
    const ws = await workspace({
      consent: { rules, onDenied: 'strip', stripPaths: ['userId', 'context.ip', 'context.traits', 'properties.email'] },
    });
    await send(ws.writeKey, [
      { ...adClicked('stripped', { consent: { categoryPreferences: { Advertising: false } } }), anonymousId: 'a1' },
      adClicked('kept', { consentManagement: { allowedConsentIds: ['Advertising'] } }),
    ]);
    const rows = await api.query<{ message_id: string; user_id: string; properties: string; context: string }>(
      'SELECT message_id, user_id, properties, context FROM events WHERE workspace_id = {w:String} ORDER BY message_id',
      { w: ws.id },
    );
    expect(rows.map((r) => [r.message_id, r.user_id, JSON.parse(r.properties), JSON.parse(r.context)])).toEqual([
      ['kept', 'u1', { email: 'u1@mail.example', campaign: 'spring' }, { ip: '203.0.113.9', traits: { email: 'u1@mail.example' }, consentManagement: { allowedConsentIds: ['Advertising'] } }],
      ['stripped', '', { campaign: 'spring' }, { consent: { categoryPreferences: { Advertising: false } } }],
    ]);
    // The stripped event no longer carries the user id or email: it joins no profile of theirs.
    const ids = await api.query<{ id_type: string }>('SELECT DISTINCT id_type FROM identities WHERE workspace_id = {w:String} AND message_id = {m:String}', {
      w: ws.id,
      m: 'stripped',
    });
    expect(ids).toEqual([{ id_type: 'anonymous_id' }]);
  });

  it('trusts events without consent information only from the sources configured so', async () => {
    const ws = await workspace({ consent: { rules, whenMissing: 'deny' } });
    const server = (await admin(`/v1/admin/workspaces/${ws.id}/keys`, 'POST', { kind: 'write' })).body as { keyId: string; key: string };
    expect((await admin(`/v1/admin/workspaces/${ws.id}/privacy`, 'PUT', { consent: { rules, whenMissing: 'deny', sources: { [server.keyId]: { whenMissing: 'grant' } } } })).status).toBe(200);
    await send(ws.writeKey, [adClicked('browser-no-info')]);
    await send(server.key, [adClicked('server-no-info'), adClicked('server-denied', { consent: { categoryPreferences: { Advertising: false } } })]);
    expect(await stored(ws.id)).toEqual(['server-no-info']);
  });

  it('refuses invalid settings with a 400 naming the field', async () => {
    const bad = await admin('/v1/admin/workspaces/default/privacy', 'PUT', { pii: { drop: ['password'] } });
    expect(bad.status).toBe(400);
    expect((bad.body['error'] as { path: string }).path).toBe('pii.drop[0]');
    const strip = await admin('/v1/admin/workspaces/default/privacy', 'PUT', { consent: { rules, onDenied: 'strip' } });
    expect((strip.body['error'] as { path: string }).path).toBe('consent.stripPaths');
  });
});

describe('PII controls', () => {
  it('never stores deny-listed paths and stores hashed paths as salted SHA-256', async () => {
    const ws = await workspace({
      pii: {
        drop: ['properties.card_number', 'context.ip', 'traits.ssn', 'properties.items.owner'],
        hash: ['properties.iban', 'traits.backup_phone', 'context.traits.national_id', 'anonymousId'],
      },
    });
    await send(ws.writeKey, [
      {
        type: 'track',
        event: 'Card Added',
        userId: 'p1',
        anonymousId: 'device-a',
        messageId: 'pii-track',
        properties: { card_number: '4111111111111111', iban: 'DE89370400440532013000', amount: 5, items: [{ owner: 'x', sku: 'a' }, { owner: 'y' }] },
        context: { ip: '198.51.100.7', traits: { national_id: 'X1234567' }, locale: 'de-DE' },
      },
      { type: 'identify', userId: 'p1', messageId: 'pii-identify', traits: { ssn: '078-05-1120', backup_phone: '+4915112345678', plan: 'pro' } },
      { type: 'track', event: '', userId: 'p1', messageId: 'pii-invalid', properties: { card_number: '4111111111111111', iban: 'DE89370400440532013000' } },
    ]);
    const [salt] = await api.query<{ salt: string }>('SELECT salt FROM privacy_salts WHERE workspace_id = {w:String}', { w: ws.id });
    const hash = (text: string) => saltedHash(Buffer.from(salt?.salt ?? '', 'hex'), text);
    const rows = await api.query<{ message_id: string; anonymous_id: string; properties: string; traits: string; context: string }>(
      'SELECT message_id, anonymous_id, properties, traits, context FROM events WHERE workspace_id = {w:String} ORDER BY message_id',
      { w: ws.id },
    );
    const [identify, track] = rows;
    expect(JSON.parse(track?.properties ?? '')).toEqual({ iban: hash('DE89370400440532013000'), amount: 5, items: [{ sku: 'a' }, {}] });
    expect(JSON.parse(track?.context ?? '')).toEqual({ traits: { national_id: hash('X1234567') }, locale: 'de-DE' });
    expect(track?.anonymous_id).toBe(hash('device-a'));
    expect(JSON.parse(identify?.traits ?? '')).toEqual({ backup_phone: hash('+4915112345678'), plan: 'pro' });
    // The profile sees the same values: traits are folded from what is stored.
    const traits = await api.query<{ key: string }>('SELECT DISTINCT key FROM profile_traits WHERE workspace_id = {w:String} ORDER BY key', { w: ws.id });
    expect(traits.map((t) => t.key)).toEqual(['backup_phone', 'plan']);
    // Dead letters get the same treatment.
    const [dead] = await api.query<{ payload: string }>('SELECT payload FROM dead_letters WHERE workspace_id = {w:String}', { w: ws.id });
    expect(JSON.parse(dead?.payload ?? '')).toMatchObject({ properties: { iban: hash('DE89370400440532013000') } });
    const everything = JSON.stringify(await api.query('SELECT * FROM events WHERE workspace_id = {w:String}', { w: ws.id })) + (dead?.payload ?? '');
    for (const secret of ['4111111111111111', '198.51.100.7', '078-05-1120', 'DE89370400440532013000', 'X1234567', '+4915112345678']) {
      expect(everything).not.toContain(secret);
    }
    // The salt is never shown by the API.
    const settings = await admin(`/v1/admin/workspaces/${ws.id}/privacy`, 'GET');
    expect(JSON.stringify(settings.body)).not.toContain(salt?.salt ?? 'none');
  });
});
