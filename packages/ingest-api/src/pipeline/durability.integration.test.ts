import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { adminSql } from '../privacy/test-helpers.js';
import { startChildServer, type ChildServer } from '../testing/child-server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'cdp-durability-'));
const env = {
  CDP_DATA_DIR: dataDir,
  CDP_WRITE_KEY: 'wk_durability_test_key',
  CDP_ADMIN_KEY: 'admin_durability_test_key',
  CDP_RATE_LIMIT_MAX: '0',
  CDP_FLUSH_INTERVAL_MS: '30',
};
const auth = `Basic ${Buffer.from(`${env.CDP_WRITE_KEY}:`).toString('base64')}`;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Sends batches of 50 unique events until stopped; returns the messageIds the server acknowledged. */
function load(server: ChildServer, prefix: string, workers: number): { stop: () => Promise<string[]> } {
  const acked: string[] = [];
  let running = true;
  let seq = 0;
  const worker = async () => {
    while (running) {
      const batch = Array.from({ length: 50 }, () => ({
        type: 'track',
        event: 'Transfer',
        userId: `u${seq % 97}`,
        messageId: `${prefix}-${seq++}`,
        properties: { amount: seq % 1000, note: 'x'.repeat(200) },
      }));
      try {
        const res = await fetch(`${server.url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        if (res.status === 200) acked.push(...batch.map((e) => e.messageId));
      } catch {
        // Connection refused or reset by the kill: not acknowledged.
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    stop: async () => {
      running = false;
      await all;
      return acked;
    },
  };
}

const sql = <T>(server: ChildServer, query: string, params: Record<string, unknown> = {}) =>
  adminSql<T>({ url: server.url, secretKey: '', adminKey: env.CDP_ADMIN_KEY }, query, params);

it('keeps every acknowledged event exactly once through two SIGKILLs under load', { timeout: 180_000 }, async () => {
  const acked: string[] = [];
  let server = await startChildServer(env);
  try {
    for (const round of [1, 2]) {
      const l = load(server, `r${round}`, 8);
      await new Promise((r) => setTimeout(r, 1500 + round * 300));
      await server.kill('SIGKILL');
      acked.push(...(await l.stop()));
      server = await startChildServer(env);
    }
    expect(acked.length).toBeGreaterThan(1000);
    // A client retry of acknowledged events after the restart must not duplicate them.
    const retry = acked.slice(0, 50).map((messageId) => ({ type: 'track', event: 'Transfer', userId: 'u', messageId }));
    const res = await fetch(`${server.url}/v1/batch`, { method: 'POST', headers: { authorization: auth }, body: JSON.stringify({ batch: retry }) });
    expect(res.status).toBe(200);

    // Graceful stop flushes everything; a restart then answers from ClickHouse alone.
    const code = await server.kill('SIGTERM');
    expect(code).toBe(0);
    server = await startChildServer(env);
    // No duplicates at all, and every acknowledged id present (checked in chunks: admin SQL caps result rows).
    const [totals] = await sql<{ n: number; u: number }>(server, 'SELECT count() AS n, uniqExact(message_id) AS u FROM events');
    expect(Number(totals?.n)).toBe(Number(totals?.u));
    const missing: string[] = [];
    for (let i = 0; i < acked.length; i += 5000) {
      const chunk = acked.slice(i, i + 5000);
      const found = await sql<{ message_id: string }>(server, 'SELECT message_id FROM events WHERE message_id IN {ids:Array(String)}', { ids: chunk });
      const have = new Set(found.map((r) => r.message_id));
      missing.push(...chunk.filter((id) => !have.has(id)));
    }
    expect(missing).toEqual([]);
  } finally {
    // Also when an expectation fails: a failed run must not leave a server running.
    await server.kill('SIGTERM');
  }
});

it('flushes acknowledged events to ClickHouse on SIGTERM and stops accepting', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-sigterm-'));
  // A flush interval far longer than the test: only the shutdown can move these events.
  const server = await startChildServer({ ...env, CDP_DATA_DIR: dir, CDP_FLUSH_INTERVAL_MS: '600000', CDP_FLUSH_BATCH_BYTES: '1000000000' });
  const ids = Array.from({ length: 300 }, (_, i) => `term-${i}`);
  const res = await fetch(`${server.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: auth },
    body: JSON.stringify({ batch: ids.map((messageId) => ({ type: 'track', event: 'x', userId: 'u', messageId })) }),
  });
  expect(res.status).toBe(200);
  expect(await server.kill('SIGTERM')).toBe(0);
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  // Read the store directly: no restart, so no spool replay can hide a missed flush.
  const { ChdbTransport } = await import('../storage/chdb-transport.js');
  const store = await ChdbTransport.open({ path: join(dir, 'clickhouse'), database: 'cdp' });
  const [row] = await store.query<{ n: number }>("SELECT count() AS n FROM events WHERE message_id LIKE 'term-%'");
  expect(Number(row?.n)).toBe(300);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
