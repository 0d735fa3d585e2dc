import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '@cdp/protocol';
import Fastify from 'fastify';
import { SpoolWriter } from '../src/spool/writer.js';
import { ChdbTransport } from '../src/storage/chdb-transport.js';
import { floorEventsTable, floorRows } from './floor-rows.js';

/**
 * The floor: only the work issue 2 mandates for every event, with none of ours on top. Per request:
 * `JSON.parse`, the protocol's zod validation of each event, the events-table row, one fsync'd spool
 * append (group commit, the real `SpoolWriter`) before the 2xx. Behind it, the rows kept in memory are
 * inserted as raw JSONEachRow into a MergeTree table with the mandated columns, in one insert per
 * 10,000 rows or 200 ms. No auth, dedup, ID mapping, dead letters, recorded plans or spool re-reading.
 * Whatever this server cannot reach on a machine, the real API cannot either. Run as its own
 * process by the ingest benchmark; DATA_DIR names its directory. FLOOR_STEPS (default
 * `zod,row,spool,insert`) keeps only the steps it lists, each needing the ones before it, to show
 * what each one costs.
 */
const steps = new Set((process.env['FLOOR_STEPS'] ?? 'zod,row,spool,insert').split(','));
const dir = process.env['DATA_DIR'];
if (dir === undefined) throw new Error('DATA_DIR is required');
mkdirSync(join(dir, 'spool'), { recursive: true });
const store = await ChdbTransport.open({ path: join(dir, 'clickhouse'), database: 'floor' });
await store.command(floorEventsTable());
const spool = await SpoolWriter.open({
  dir: join(dir, 'spool'),
  seq: 1,
  maxSegmentBytes: 64 * 1024 * 1024,
  events: { onDurable: () => {}, onSealed: () => {} },
});

let pending: string[] = [];
let inserting: Promise<void> | undefined;
function flush(): void {
  if (inserting !== undefined || pending.length === 0) return;
  const rows = pending;
  pending = [];
  inserting = store
    .insert({ table: 'events', rows: `${rows.join('\n')}\n` })
    .catch((err: unknown) => {
      pending = rows.concat(pending);
      process.stderr.write(`insert failed: ${String(err)}\n`);
    })
    .finally(() => {
      inserting = undefined;
      if (pending.length >= 10_000) flush();
    });
}
setInterval(flush, 200).unref();

const app = Fastify({ logger: false, bodyLimit: DEFAULT_LIMITS.maxBodyBytes });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body as string));
  } catch (err) {
    done(err as Error, undefined);
  }
});

async function keep(rows: string[]): Promise<void> {
  if (rows.length === 0) return;
  if (steps.has('spool')) await spool.append(`${rows.join('\n')}\n`);
  if (!steps.has('insert')) return;
  for (const r of rows) pending.push(r);
  if (pending.length >= 10_000) flush();
}

app.post('/v1/batch', async (req) => {
  const body = req.body as { batch?: unknown };
  if (!steps.has('zod')) return { success: true };
  const { rows, invalid } = floorRows(Array.isArray(body.batch) ? body.batch : [], { withRows: steps.has('row') });
  await keep(rows);
  return { success: true, invalid };
});
app.post('/v1/track', async (req, reply) => {
  if (!steps.has('zod')) return { success: true };
  const { rows, invalid } = floorRows([req.body], { type: 'track', withRows: steps.has('row') });
  if (invalid > 0) return reply.code(400).send({ error: 'invalid' });
  await keep(rows);
  return { success: true };
});
// Everything acknowledged so far inserted, then the count of the events whose messageId starts with `prefix`.
app.get('/count', async (req) => {
  const prefix = (req.query as { prefix?: string }).prefix ?? '';
  while (pending.length > 0 || inserting !== undefined) {
    flush();
    await (inserting ?? new Promise((r) => setTimeout(r, 20)));
  }
  const [row] = await store.query<{ n: string }>('SELECT count() AS n FROM events WHERE startsWith(message_id, {p:String})', { p: prefix });
  return { count: Number(row?.n ?? 0) };
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`listening on ${address}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => spool.close())
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
}
