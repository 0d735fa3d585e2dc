import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { adminSql, postPrivacyRequest, waitForRequest } from '../privacy/test-helpers.js';
import { startChildServer, type ChildServer } from '../testing/child-server.js';
import { startClickHouseHttpFront, type ClickHouseHttpFront } from '../testing/clickhouse-http-front.js';

const dir = mkdtempSync(join(tmpdir(), 'cdp-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  CDP_DATA_DIR: join(dir, 'api'),
  CDP_WRITE_KEY: 'wk_replay_test_key',
  CDP_SECRET_KEY: 'sk_replay_test_key',
  CDP_ADMIN_KEY: 'admin_replay_test_key',
  CDP_RATE_LIMIT_MAX: '0',
  CDP_FLUSH_INTERVAL_MS: '20',
};

async function send(server: ChildServer, events: object[]): Promise<void> {
  const res = await fetch(`${server.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${env.CDP_WRITE_KEY}:`).toString('base64')}` },
    body: JSON.stringify({ batch: events }),
  });
  expect(res.status).toBe(200);
}

const target = (server: ChildServer) => ({ url: server.url, secretKey: env.CDP_SECRET_KEY, adminKey: env.CDP_ADMIN_KEY });
const sql = <T>(server: ChildServer, query: string, params: Record<string, unknown> = {}) => adminSql<T>(target(server), query, params);

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

/** The engine behind an HTTP front that can hold the next inserts into a table (the API "dies" before them). */
async function frontWithHold(path: string): Promise<{ front: ClickHouseHttpFront; hold: (table: string) => Promise<void>; release: () => void }> {
  let held: { table: string; reached: () => void } | undefined;
  const front = await startClickHouseHttpFront({
    path,
    holdInsert: (table) => {
      if (held?.table !== table) return false;
      held.reached();
      return true;
    },
  });
  // Resolves once an insert into `table` arrives (and is held).
  const hold = (table: string) => new Promise<void>((resolve) => (held = { table, reached: resolve }));
  return { front, hold, release: () => (held = undefined) };
}

const stored = (server: ChildServer, messageId: string) => async () =>
  (await sql<{ n: number }>(server, 'SELECT count() AS n FROM events WHERE message_id = {m:String}', { m: messageId })).map((r) => Number(r.n))[0] === 1;

it('a crash in the middle of a batch’s inserts is replayed with the rows of the interrupted attempt', { timeout: 120_000 }, async () => {
  // The process dies after the batch's merge row is in ClickHouse and before its alias row is. Planned again
  // after the restart, the batch would find the merge done, plan no alias, and the merged-away profile would
  // never map to its survivor.
  const { front, hold, release } = await frontWithHold(join(dir, 'engine'));
  let server = await startChildServer({ ...env, CLICKHOUSE_URL: front.url });
  try {
    await send(server, [
      { type: 'identify', userId: 'u-1', messageId: 'm1', timestamp: '2026-11-01T10:00:00.000Z' },
      { type: 'track', event: 'Opened', anonymousId: 'dev-1', messageId: 'm2', timestamp: '2026-11-01T11:00:00.000Z' },
    ]);
    await until(stored(server, 'm2'));
    const owners = await sql<{ v: string; p: string }>(server, 'SELECT id_value AS v, profile_id AS p FROM identities');
    const byValue = new Map(owners.map((o) => [o.v, o.p]));
    const [user, device] = [byValue.get('u-1'), byValue.get('dev-1')];
    expect(user).toBeDefined();
    expect(device).not.toBe(user);

    const held = hold('profile_aliases');
    await send(server, [{ type: 'identify', userId: 'u-1', anonymousId: 'dev-1', messageId: 'm3', timestamp: '2026-11-01T12:00:00.000Z' }]);
    await held;
    await server.kill('SIGKILL');
    release();

    server = await startChildServer({ ...env, CLICKHOUSE_URL: front.url });
    await until(stored(server, 'm3'));
    expect(await sql(server, 'SELECT from_profile AS f, into_profile AS i FROM profile_merges')).toEqual([{ f: device, i: user }]);
    expect(await sql(server, 'SELECT profile_id AS f, canonical_id AS i FROM profile_aliases')).toEqual([{ f: device, i: user }]);
    expect(await sql(server, "SELECT profile_id AS p FROM events WHERE message_id = 'm3'")).toEqual([{ p: user }]);
    const [counts] = await sql<{ n: number; u: number; l: number }>(
      server,
      'SELECT count() AS n, uniqExact(message_id) AS u, (SELECT count() FROM message_ids) AS l FROM events',
    );
    expect(counts).toEqual({ n: 3, u: 3, l: 3 });
  } finally {
    await server.kill('SIGTERM');
    await front.close();
  }
});

it('replays an interrupted batch before resuming an erasure accepted after it was planned', { timeout: 120_000 }, async () => {
  // The batch was planned (with the person's events) before the erasure was accepted, and nothing of it is in
  // ClickHouse when the process dies. After the restart the erasure must find those events: the replay, which
  // inserts the recorded rows as they are, has to come first.
  const { front, hold, release } = await frontWithHold(join(dir, 'engine-erasure'));
  const api = { ...env, CDP_DATA_DIR: join(dir, 'api-erasure'), CLICKHOUSE_URL: front.url };
  let server = await startChildServer(api);
  try {
    const held = hold('profiles');
    await send(
      server,
      Array.from({ length: 20 }, (_, i) => ({ type: 'track', event: 'Paid', userId: `person-${i % 2}`, messageId: `e${i}`, timestamp: '2026-11-01T10:00:00.000Z' })),
    );
    await held;
    const erasure = await postPrivacyRequest(target(server), { type: 'erasure', identifier: 'user_id:person-1' });
    expect(erasure.status).toBe(202);
    await server.kill('SIGKILL');
    release();

    server = await startChildServer(api);
    expect((await waitForRequest(target(server), erasure.body.requestId)).status).toBe('done');
    const left = await sql<{ u: string; n: number }>(server, 'SELECT user_id AS u, count() AS n FROM events GROUP BY u ORDER BY u');
    expect(left.map((r) => [r.u, Number(r.n)])).toEqual([['person-0', 10]]);
  } finally {
    await server.kill('SIGTERM');
    await front.close();
  }
});
