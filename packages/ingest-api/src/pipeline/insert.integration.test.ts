import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../storage/migrations.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { bothTransports } from '../testing/transports.js';
import { insertPlan, insertPlanned } from './insert.js';

/**
 * Rows ClickHouse refuses whatever the retry (values it cannot parse) are
 * bisected out of their insert and written to dead_letters; the other rows are
 * stored. Retried instead, one such row held back every later batch.
 */
// Both transports: the server path reads the error code from @clickhouse/client's error, the embedded one from chdb's.
const engines = bothTransports('cdp-insert-');
beforeAll(() => engines.start());
afterAll(() => engines.stop());

const at = '2026-11-20T10:00:00.000Z';
const row = (id: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ workspace_id: 'w', message_id: id, type: 'track', event: 'Top Up', timestamp: at, received_at: at, ...fields });

describe.each(engines.cases)('insertPlanned on %s', (name, open) => {
  let t: ClickHouseTransport;
  beforeAll(async () => {
    t = await open(name.startsWith('embedded') ? 'insert_chdb' : 'insert_http');
    await migrate(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    // A lone surrogate escape: "missing second part of surrogate pair" (CANNOT_PARSE_ESCAPE_SEQUENCE).
    ['a lone surrogate escape', 'surrogate', row('bad-surrogate').replace('"Top Up"', '"Top \\ud800Up"')],
    ['a timestamp that is not a date', 'datetime', row('bad-datetime', { timestamp: 'not a date at all' })],
  ])('stores the other rows and dead-letters %s', async (_name, token, bad) => {
    const lines = [row(`${token}-1`), bad, row(`${token}-2`), row(`${token}-3`)];
    await insertPlanned({ transport: t, logger: pino({ level: 'silent' }) }, token, { table: 'events', part: 'e', lines });
    const stored = await t.query<{ message_id: string }>('SELECT message_id FROM events WHERE message_id LIKE {p:String} ORDER BY message_id', { p: `${token}-%` });
    expect(stored.map((r) => r.message_id)).toEqual([`${token}-1`, `${token}-2`, `${token}-3`]);
    const dead = await t.query<{ message_id: string; code: string; payload: string }>(
      "SELECT message_id, code, payload FROM dead_letters WHERE code = 'storage_rejected' AND message_id = {m:String}",
      { m: `bad-${token}` },
    );
    expect(dead).toEqual([{ message_id: `bad-${token}`, code: 'storage_rejected', payload: bad }]);
  });

  it('leaves a refused event out of the message_ids ledger, so a retry of it is not taken for a duplicate', async () => {
    const token = 'ledger';
    const ids = [`${token}-1`, `bad-${token}`, `${token}-2`];
    const events = ids.map((id) => (id.startsWith('bad') ? row(id, { timestamp: 'not a date at all' }) : row(id)));
    const ledger = ids.map((id) => JSON.stringify({ workspace_id: 'w', message_id: id, received_at: at }));
    const inserts = [
      { table: 'events', part: 'e', lines: events },
      { table: 'message_ids', part: 'm', lines: ledger },
    ];
    const deps = { transport: t, logger: pino({ level: 'silent' }) };
    expect(await insertPlan(deps, token, inserts)).toEqual([`w\nbad-${token}`]);
    // A crash replay of the same plan refuses and leaves out the same row (the inserts' tokens absorb the rest).
    expect(await insertPlan(deps, token, inserts)).toEqual([`w\nbad-${token}`]);
    const inLedger = await t.query<{ message_id: string }>('SELECT message_id FROM message_ids WHERE message_id LIKE {p:String} ORDER BY message_id', { p: `%${token}%` });
    expect(inLedger.map((r) => r.message_id)).toEqual([`${token}-1`, `${token}-2`]);
    const [dead] = await t.query<{ n: number }>("SELECT count() AS n FROM dead_letters WHERE message_id = {m:String}", { m: `bad-${token}` });
    expect(Number(dead?.n)).toBe(1);
  });
});
