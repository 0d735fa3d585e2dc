import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startClickHouseHttpFront } from '../testing/clickhouse-http-front.js';
import { startTestApi } from '../testing/index.js';

it('acknowledges events while ClickHouse is down and delivers them once it is back', { timeout: 60_000 }, async () => {
  const enginePath = mkdtempSync(join(tmpdir(), 'cdp-down-'));
  let front = await startClickHouseHttpFront({ path: enginePath });
  const port = Number(new URL(front.url).port);
  const api = await startTestApi({ options: { clickhouseUrl: front.url, flush: { retryMinMs: 20, retryMaxMs: 200 } } });
  const send = (ids: string[]) =>
    fetch(`${api.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${api.writeKey}:`).toString('base64')}` },
      body: JSON.stringify({ batch: ids.map((messageId) => ({ type: 'track', event: 'x', userId: 'u', messageId })) }),
    });
  expect((await send(['up-1'])).status).toBe(200);
  await api.flush();

  await front.close();
  const whileDown = Array.from({ length: 30 }, (_, i) => `down-${i}`);
  for (let i = 0; i < 3; i++) expect((await send(whileDown.slice(i * 10, i * 10 + 10))).status).toBe(200);
  // The stall is visible, not silent.
  await new Promise((r) => setTimeout(r, 300));
  const ready = (await (await fetch(`${api.url}/readyz`)).json()) as { clickhouse: string; flushing: string; spool: { backlogBytes: number } };
  expect(ready).toMatchObject({ clickhouse: 'down', flushing: 'failing' });
  expect(ready.spool.backlogBytes).toBeGreaterThan(0);

  front = await startClickHouseHttpFront({ path: enginePath, port });
  await api.flush();
  const rows = await api.query<{ message_id: string; n: number }>('SELECT message_id, count() AS n FROM events GROUP BY message_id ORDER BY message_id');
  expect(rows.map((r) => r.message_id).sort()).toEqual(['up-1', ...whileDown].sort());
  expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
  const after = (await (await fetch(`${api.url}/readyz`)).json()) as { clickhouse: string; flushing: string };
  expect(after).toMatchObject({ clickhouse: 'up', flushing: 'ok' });
  await api.close();
  await front.close();
});
