import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bothTransports } from '../testing/transports.js';
import { refreshActivity } from './activity.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { ensureEventProjection } from './event-projection.js';
import { ensurePropertyColumns } from './property-columns.js';
import { ClickHouseError, isStatementError, type ClickHouseTransport } from './transport.js';

// One engine directory per process (libchdb); the server transport reaches the
// same engine through the test-only HTTP front, each suite in its own database.
const engines = bothTransports('cdp-storage-');
beforeAll(() => engines.start());
afterAll(() => engines.stop());

const P1 = '0a000000-0000-4000-8000-000000000001';
const P2 = '0b000000-0000-4000-8000-000000000002';

/** `profile_activity` of a workspace, merged: [profile, type, first, last, dates] in order. */
async function activityOf(t: ClickHouseTransport, workspaceId: string): Promise<string[][]> {
  const rows = await t.query<{ p: string; type: string; first: string; last: string; days: string }>(
    `SELECT toString(profile_key) AS p, type, toString(min(first_at)) AS first, toString(max(last_at)) AS last,
       toString(arraySort(groupUniqArrayArray(days))) AS days
     FROM profile_activity WHERE workspace_id = {w:String} GROUP BY profile_key, type ORDER BY p, type`,
    { w: workspaceId },
  );
  return rows.map((r) => [r.p, r.type, r.first, r.last, r.days]);
}

describe.each(engines.cases)('storage on %s', (_name, open) => {
  let t: ClickHouseTransport;
  beforeAll(async () => {
    t = await open(`storage_${Math.random().toString(36).slice(2, 10)}`);
    await migrate(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('applies every migration once', async () => {
    const rows = await t.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(t)).toEqual([]);
    const tables = await t.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name');
    expect(tables.map((r) => r.name)).toEqual(expect.arrayContaining(['events', 'dead_letters', 'message_ids', 'workspaces', 'api_keys']));
  });

  it('keeps event names as LowCardinality and reads trait conditions through the by_key projection, also after a delete', async () => {
    const [column] = await t.query<{ type: string }>("SELECT type FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name = 'event'");
    expect(column?.type).toBe('LowCardinality(String)');
    const [a, b, c] = ['0a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000002', '0a000000-0000-4000-8000-000000000003'] as const;
    const trait = (profile: string, key: string, value: string, version = 1) => ({
      workspace_id: 'w-proj', profile_id: profile, key, value, at: '2024-05-01T10:00:00.000Z', message_id: `m-${profile}-${version}`, once: 0, deleted: 0, version,
    });
    const rows = [a, b, c].flatMap((p, i) => [trait(p, 'plan', i === 1 ? '"free"' : '"plus"'), trait(p, 'country', '"DE"')]);
    await t.insert({ table: 'profile_traits', rows: rows.map((r) => JSON.stringify(r)).join('\n') });
    // A later version in another part: the latest row decides, whatever the older ones said.
    await t.insert({ table: 'profile_traits', rows: [trait(b, 'plan', '"plus"', 2), trait(c, 'plan', '"free"', 2), trait(c, 'plan', '"plus"', 3)].map((r) => JSON.stringify(r)).join('\n') });
    // The segment compiler's shape: one key's rows grouped by the UUID column, the latest row's test kept.
    const condition = `SELECT toString(profile_key) AS id FROM profile_traits WHERE workspace_id = {w:String} AND key = {k:String}
      GROUP BY profile_key HAVING argMax(deleted = 0 AND JSONExtractString(value) = {v:String}, version) = 1 ORDER BY id`;
    const plan = await t.query<{ explain: string }>(`EXPLAIN projections = 1 ${condition}`, { w: 'w-proj', k: 'plan', v: 'plus' });
    // On a table this small both reads cost one mark and ClickHouse keeps the table; on real sizes it reads by_key.
    expect(plan.map((r) => r.explain).join('\n')).toMatch(/ReadFromMergeTree \(by_key\)|Projection by_key is usable/);
    const members = async (v = 'plus') => (await t.query<{ id: string }>(condition, { w: 'w-proj', k: 'plan', v })).map((r) => r.id);
    expect(await members()).toEqual([a, b, c]);
    expect(await members('free')).toEqual([]);
    await t.insert({ table: 'profile_traits', rows: JSON.stringify({ ...trait(a, 'plan', '"plus"', 4), deleted: 1 }) });
    expect(await members()).toEqual([b, c]);
    // Erasure deletes trait rows with lightweight deletes: the projection must follow.
    await t.command(`DELETE FROM profile_traits WHERE workspace_id = 'w-proj' AND profile_id = '${c}'`);
    expect(await members()).toEqual([b]);
  });

  it('upgrades a database holding data to the latest migration without losing or changing it', async () => {
    const old = await open(`storage_upgrade_${Math.random().toString(36).slice(2, 10)}`);
    try {
      expect(await migrate(old, MIGRATIONS.filter((m) => m.version <= 5))).toEqual([1, 2, 3, 4, 5]);
      const events = ['Top Up', 'Transfer', 'Top Up'].map((event, i) =>
        JSON.stringify({ workspace_id: 'w-up', message_id: `m${i}`, type: 'track', event, profile_id: P1, timestamp: `2024-01-0${i + 1}T00:00:00Z`, received_at: '2024-01-04T00:00:00Z' }),
      );
      await old.insert({ table: 'events', rows: events.join('\n') });
      await old.insert({
        table: 'profile_traits',
        rows: JSON.stringify({ workspace_id: 'w-up', profile_id: P1, key: 'plan', value: '"plus"', at: '2024-01-01T00:00:00Z', message_id: 'm0', once: 0, version: 1 }),
      });
      expect(await migrate(old)).toEqual([6, 7, 8, 9]);
      const [column] = await old.query<{ type: string }>("SELECT type FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name = 'event'");
      expect(column?.type).toBe('LowCardinality(String)');
      const counts = await old.query<{ event: string; n: number }>("SELECT event, count() AS n FROM events WHERE workspace_id = 'w-up' GROUP BY event ORDER BY event");
      expect(counts.map((r) => [r.event, Number(r.n)])).toEqual([['Top Up', 2], ['Transfer', 1]]);
      const parts = await old.query<{ n: number }>("SELECT count() AS n FROM system.projection_parts WHERE database = currentDatabase() AND table = 'profile_traits' AND name = 'by_key' AND active");
      expect(Number(parts[0]?.n)).toBeGreaterThan(0);
      const traits = await old.query<{ profile_id: string }>("SELECT profile_id FROM profile_traits WHERE workspace_id = 'w-up' AND key = 'plan'");
      expect(traits.map((r) => r.profile_id)).toEqual([P1]);
      // Migration 8: stored traits got their UUID key, and the rebuilt projection carries it.
      const traitKeys = await old.query<{ k: string }>("SELECT toString(profile_key) AS k FROM profile_traits WHERE workspace_id = 'w-up'");
      expect(traitKeys.map((r) => r.k)).toEqual([P1]);
      const [projection] = await old.query<{ query: string }>("SELECT query FROM system.projections WHERE database = currentDatabase() AND table = 'profile_traits' AND name = 'by_key'");
      expect(projection?.query).toContain('ORDER BY workspace_id, key, profile_key');
      // Migration 7: the stored events got their UUID key and their activity rows; migration 9 their dates.
      const keys = await old.query<{ k: string }>("SELECT DISTINCT toString(profile_key) AS k FROM events WHERE workspace_id = 'w-up'");
      expect(keys.map((r) => r.k)).toEqual([P1]);
      const upgraded = [P1, 'track', '2024-01-01 00:00:00.000', '2024-01-03 00:00:00.000', "['2024-01-01','2024-01-02','2024-01-03']"];
      expect(await activityOf(old, 'w-up')).toEqual([upgraded]);
      // The view recreated by migration 9 keeps the dates of new events.
      await old.insert({
        table: 'events',
        rows: JSON.stringify({ workspace_id: 'w-up', message_id: 'm9', type: 'track', event: 'Top Up', profile_id: P1, timestamp: '2024-01-09T08:00:00Z', received_at: '2024-01-09T08:00:00Z' }),
      });
      expect(await activityOf(old, 'w-up')).toEqual([[P1, 'track', upgraded[2], '2024-01-09 08:00:00.000', "['2024-01-01','2024-01-02','2024-01-03','2024-01-09']"]]);
    } finally {
      await old.close();
    }
  });

  it('keeps each profile\'s first and last activity and its dates by type at insert; refreshActivity rebuilds them after deletes', async () => {
    const ev = (id: string, profile: string, type: string, day: number, hour = 10) =>
      JSON.stringify({ workspace_id: 'w-act', message_id: id, type, event: type === 'track' ? 'Top Up' : '', profile_id: profile, timestamp: `2024-02-0${day}T${hour}:00:00Z`, received_at: '2024-02-09T00:00:00Z' });
    await t.insert({ table: 'events', rows: [ev('a1', P1, 'track', 2), ev('a2', P1, 'page', 3), ev('a3', P1, 'track', 5), ev('a4', P2, 'track', 4), ev('a5', '', 'track', 1)].join('\n') });
    // An event stored twice (a copy) changes no minimum, maximum or set of dates; nor does a second event the same day.
    await t.insert({ table: 'events', rows: [ev('a3', P1, 'track', 5), ev('a6', P1, 'track', 2, 23)].join('\n') });
    const initial = [
      [P1, 'page', '2024-02-03 10:00:00.000', '2024-02-03 10:00:00.000', "['2024-02-03']"],
      [P1, 'track', '2024-02-02 10:00:00.000', '2024-02-05 10:00:00.000', "['2024-02-02','2024-02-05']"],
      [P2, 'track', '2024-02-04 10:00:00.000', '2024-02-04 10:00:00.000', "['2024-02-04']"],
    ];
    expect(await activityOf(t, 'w-act')).toEqual(initial);
    await t.command("DELETE FROM events WHERE workspace_id = 'w-act' AND message_id IN ('a3', 'a2')");
    // The view only adds: the deleted events still show until the profile's rows are rebuilt.
    expect(await activityOf(t, 'w-act')).toEqual(initial);
    await refreshActivity(t, 'w-act', [P1]);
    await refreshActivity(t, 'w-act', [P1]);
    const rebuilt = [P1, 'track', '2024-02-02 10:00:00.000', '2024-02-02 23:00:00.000', "['2024-02-02']"];
    expect(await activityOf(t, 'w-act')).toEqual([rebuilt, initial[2]]);
    await t.command("DELETE FROM events WHERE workspace_id = 'w-act' AND profile_id = {p:String}", { p: P2 });
    await refreshActivity(t, 'w-act', [P2]);
    expect(await activityOf(t, 'w-act')).toEqual([rebuilt]);
  });

  it('keeps declared properties in typed columns: added once, backfilled, computed at insert, equal to parsing the JSON', async () => {
    const ev = (id: string, properties: string) =>
      JSON.stringify({ workspace_id: 'w-prop', message_id: id, type: 'track', event: 'Purchase', properties, timestamp: '2024-03-01T10:00:00Z', received_at: '2024-03-01T10:00:00Z' });
    await t.insert({ table: 'events', rows: [ev('b1', '{"amount":12.5,"merchant_category":"travel"}'), ev('b2', '{"amount":"7"}')].join('\n') });
    const declared = [
      { property: 'amount', type: 'number' as const },
      { property: 'merchant_category', type: 'string' as const },
    ];
    expect(await ensurePropertyColumns(t, declared)).toEqual([
      { property: 'amount', type: 'number', column: 'prop_num_amount' },
      { property: 'merchant_category', type: 'string', column: 'prop_str_merchant_category' },
    ]);
    await t.insert({ table: 'events', rows: [ev('b3', '{"amount":3,"merchant_category":7}'), ev('b4', '{}')].join('\n') });
    // Again at the next start: nothing to add (and no second backfill).
    expect(await ensurePropertyColumns(t, declared)).toHaveLength(2);
    const rows = await t.query<{ id: string; amount: number | null; category: string | null; same: number }>(
      `SELECT message_id AS id, prop_num_amount AS amount, prop_str_merchant_category AS category,
         isNotDistinctFrom(prop_num_amount, JSONExtract(properties, 'amount', 'Nullable(Float64)'))
         AND isNotDistinctFrom(prop_str_merchant_category, JSONExtract(properties, 'merchant_category', 'Nullable(String)')) AS same
       FROM events WHERE workspace_id = 'w-prop' ORDER BY id`,
    );
    expect(rows.map((r) => [r.id, r.amount, r.category, Number(r.same)])).toEqual([
      ['b1', 12.5, 'travel', 1],
      ['b2', 7, null, 1], // a number in a string reads as the number, as JSONExtract does
      ['b3', 3, '7', 1], // and a number asked for as a string reads as its text
      ['b4', null, null, 1],
    ]);
    // Not part of SELECT *: exports and admin queries see the events as before.
    const [star] = await t.query<Record<string, unknown>>(`SELECT * FROM events WHERE workspace_id = 'w-prop' LIMIT 1`);
    expect(Object.keys(star!)).not.toContain('prop_num_amount');
  });

  it('keeps the by_event projection: segment scans by event name read it, deletes keep it exact, new typed columns rebuild it', async () => {
    const ev = (id: string, event: string, profile: string, fee: number) =>
      JSON.stringify({ workspace_id: 'w-evp', message_id: id, type: 'track', event, profile_id: profile, properties: JSON.stringify({ fee }), timestamp: '2024-04-01T10:00:00Z', received_at: '2024-04-01T10:00:00Z' });
    await ensureEventProjection(t, []);
    await t.insert({ table: 'events', rows: [ev('c1', 'Top Up', P1, 1), ev('c2', 'Top Up', P2, 2), ev('c3', 'Transfer', P1, 4), ev('c4', 'Top Up', P1, 8)].join('\n') });
    // A segment's scan shape: rows of named events, grouped by profile.
    const scan = `SELECT toString(profile_key) AS p, countIf(type = 'track' AND event = {e:String}) AS n FROM events
      WHERE workspace_id = 'w-evp' AND NOT empty(profile_key) AND (type = 'track' AND event = {e:String}) GROUP BY profile_key ORDER BY p`;
    const plan = await t.query<{ explain: string }>(`EXPLAIN projections = 1 ${scan}`, { e: 'Top Up' });
    expect(plan.map((r) => r.explain).join('\n')).toMatch(/ReadFromMergeTree \(by_event\)|Projection by_event is usable/);
    const counts = async () => (await t.query<{ p: string; n: number }>(scan, { e: 'Top Up' })).map((r) => [r.p, Number(r.n)]);
    expect(await counts()).toEqual([[P1, 2], [P2, 1]]);
    // Erasure and unmerge delete events with lightweight deletes: the projection must follow.
    await t.command("DELETE FROM events WHERE workspace_id = 'w-evp' AND message_id = 'c4'");
    expect(await counts()).toEqual([[P1, 1], [P2, 1]]);

    const mutations = async () => Number((await t.query<{ n: number }>("SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = 'events'"))[0]?.n);
    const projection = async () => (await t.query<{ query: string }>("SELECT query FROM system.projections WHERE database = currentDatabase() AND table = 'events' AND name = 'by_event'"))[0]?.query ?? '';
    expect(await projection()).not.toContain('prop_num_fee');
    // A typed column declared later is added to the projection (and its scans read the projection again)...
    const fee = await ensurePropertyColumns(t, [{ property: 'fee', type: 'number' }]);
    await ensureEventProjection(t, fee);
    expect(await projection()).toContain('prop_num_fee');
    const sum = `SELECT toString(profile_key) AS p, sum(prop_num_fee) AS s FROM events WHERE workspace_id = 'w-evp' AND (type = 'track' AND event = 'Top Up') GROUP BY profile_key ORDER BY p`;
    expect((await t.query<{ explain: string }>(`EXPLAIN projections = 1 ${sum}`)).map((r) => r.explain).join('\n')).toMatch(/ReadFromMergeTree \(by_event\)|Projection by_event is usable/);
    expect((await t.query<{ p: string; s: number }>(sum)).map((r) => [r.p, Number(r.s)])).toEqual([[P1, 1], [P2, 2]]);
    // ...once: at the next start nothing is rebuilt.
    const before = await mutations();
    await ensureEventProjection(t, fee);
    expect(await mutations()).toBe(before);
  });

  it('stores JSON objects of a raw JSONEachRow insert as their exact text', async () => {
    const props = { amount: 12.5, tags: ['a', 'b'], nested: { ok: true, none: null }, text: 'quote " back \\ é 中' };
    const row = {
      workspace_id: 'w1',
      message_id: 'm-json',
      type: 'track',
      event: 'Top Up',
      timestamp: '2024-05-01T10:00:00.123Z',
      sent_at: null,
      received_at: '2024-05-01T10:00:01.000Z',
      properties: props,
      traits: {},
      context: { library: { name: 'x', version: '1' } },
      integrations: {},
    };
    await t.insert({ table: 'events', rows: JSON.stringify(row) });
    const [got] = await t.query<{ properties: string; timestamp: string; amount: number }>(
      "SELECT properties, timestamp, JSONExtractFloat(properties, 'amount') AS amount FROM events WHERE message_id = {m:String}",
      { m: 'm-json' },
    );
    expect(got?.properties).toBe(JSON.stringify(props));
    expect(got?.timestamp).toBe('2024-05-01 10:00:00.123');
    expect(got?.amount).toBe(12.5);
  });

  it('binds every value as a parameter: SQL in values stays data', async () => {
    const hostile = "x' OR 1=1 --";
    await t.insert({ table: 'message_ids', rows: JSON.stringify({ workspace_id: 'w1', message_id: hostile, received_at: '2024-01-01T00:00:00Z' }) });
    const rows = await t.query<{ n: number }>(
      'SELECT count() AS n FROM message_ids WHERE workspace_id = {w:String} AND message_id IN {ids:Array(String)}',
      { w: 'w1', ids: [hostile, 'other'] },
    );
    expect(Number(rows[0]?.n)).toBe(1);
    const none = await t.query<{ n: number }>('SELECT count() AS n FROM message_ids WHERE message_id = {m:String}', { m: "' OR ''='" });
    expect(Number(none[0]?.n)).toBe(0);
  });

  it('binds numbers past ±2^53 (valid Float64 values) the same on both transports', async () => {
    // chdb refuses to bind them as JS numbers; a definition with such a threshold answered 500.
    const [row] = await t.query<{ a: number; b: number[]; c: number }>('SELECT {a:Float64} AS a, {b:Array(Float64)} AS b, {c:Float64} AS c', {
      a: 1e300,
      b: [-1e300, 2, 2 ** 60],
      c: 0.5,
    });
    expect(row).toEqual({ a: 1e300, b: [-1e300, 2, 2 ** 60], c: 0.5 });
  });

  it('makes a retried insert idempotent with a dedup token', async () => {
    const rows = ['a', 'b', 'c']
      .map((m) => JSON.stringify({ workspace_id: 'w2', message_id: m, type: 'track', timestamp: '2024-01-01T00:00:00Z', received_at: '2024-01-01T00:00:00Z' }))
      .join('\n');
    await t.insert({ table: 'events', rows, dedupToken: 'tok-1' });
    await t.insert({ table: 'events', rows, dedupToken: 'tok-1' });
    const [n] = await t.query<{ n: number }>("SELECT count() AS n FROM events WHERE workspace_id = 'w2'");
    expect(Number(n?.n)).toBe(3);
  });

  it('streams results line by line', async () => {
    const lines: string[] = [];
    for await (const line of t.queryLines('SELECT number AS n FROM system.numbers LIMIT {k:UInt32}', { k: 2500 })) lines.push(line);
    expect(lines).toHaveLength(2500);
    expect(JSON.parse(lines[2499] ?? '{}')).toEqual({ n: 2499 });
  });

  it('refuses writes in readonly mode, allows reads', async () => {
    const rows = await t.query('SELECT 1 AS one', {}, { readonly: true });
    expect(rows).toEqual([{ one: 1 }]);
    const err = await t
      .query("INSERT INTO message_ids (workspace_id, message_id) VALUES ('w', 'x')", {}, { readonly: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).clickhouseCode).toBe(164);
    const drop = await t.query('DROP TABLE events', {}, { readonly: true }).catch((e: unknown) => e);
    expect((drop as ClickHouseError).clickhouseCode).toBe(164);
    expect(await t.query("SELECT count() AS n FROM system.tables WHERE name = 'events' AND database = currentDatabase()")).toEqual([{ n: 1 }]);
  });

  it('reports statement errors with their ClickHouse code', async () => {
    const err = await t.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).clickhouseCode).toBe(60);
    expect(isStatementError(err)).toBe(true);
    const bad = await t.query('SELECT {x:UInt8}', { x: 'abc' }).catch((e: unknown) => e);
    expect(isStatementError(bad)).toBe(true);
  });

  it('answers ping', async () => {
    expect(await t.ping()).toBe(true);
  });
});
