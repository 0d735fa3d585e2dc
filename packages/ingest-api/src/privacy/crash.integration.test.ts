import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startChildServer } from '../testing/child-server.js';
import { adminSql, postPrivacyRequest, waitForRequest } from './test-helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'cdp-privacy-crash-'));
const env = {
  CDP_DATA_DIR: dataDir,
  CDP_WRITE_KEY: 'wk_privacy_crash_key',
  CDP_SECRET_KEY: 'sk_privacy_crash_key',
  CDP_ADMIN_KEY: 'admin_privacy_crash_key',
  CDP_RATE_LIMIT_MAX: '0',
  CDP_FLUSH_INTERVAL_MS: '30',
};
const keys = { secretKey: env.CDP_SECRET_KEY, adminKey: env.CDP_ADMIN_KEY };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('finishes an erasure accepted before a SIGKILL after the restart', { timeout: 120_000 }, async () => {
  let server = await startChildServer(env);
  const batch = Array.from({ length: 200 }, (_, i) => ({
    type: i % 20 === 0 ? 'identify' : 'track',
    event: 'Transfer',
    userId: `crash-user-${i % 4}`,
    anonymousId: `crash-anon-${i % 8}`,
    messageId: `crash-${i}`,
    traits: { email: `crash-${i % 4}@mail.example` },
  }));
  const sent = await fetch(`${server.url}/v1/batch`, { method: 'POST', body: JSON.stringify({ writeKey: env.CDP_WRITE_KEY, batch }) });
  expect(sent.status).toBe(200);
  // Killed right after the 202: the erasure is at most part-way (it drains the spool, deletes, purges).
  const created = await postPrivacyRequest({ url: server.url, ...keys }, { type: 'erasure', identifier: 'user_id:crash-user-1' });
  expect(created.status).toBe(202);
  await server.kill('SIGKILL');

  server = await startChildServer(env);
  try {
    const target = { url: server.url, ...keys };
    const done = await waitForRequest(target, created.body.requestId);
    // The request was found unfinished at the start (it takes far longer than the kill after the 202).
    expect(server.output()).toContain('resuming privacy requests');
    expect(done.status).toBe('done');
    const left = await adminSql<{ user_id: string; n: number }>(
      target,
      "SELECT user_id, count() AS n FROM events WHERE message_id LIKE 'crash-%' GROUP BY user_id ORDER BY user_id",
    );
    // Anonymous id i % 8 always comes with user i % 4: each person's events are theirs alone.
    expect(left.map((r) => [r.user_id, Number(r.n)])).toEqual([
      ['crash-user-0', 50],
      ['crash-user-2', 50],
      ['crash-user-3', 50],
    ]);
    const found = await adminSql<{ n: number }>(
      target,
      "SELECT count() AS n FROM identities WHERE id_value IN ('crash-user-1', 'crash-1@mail.example', 'crash-anon-1', 'crash-anon-5')",
    );
    expect(Number(found[0]?.n)).toBe(0);
    const [request] = await adminSql<{ subject: string; n: number }>(
      target,
      'SELECT any(identifier) AS subject, count() AS n FROM privacy_requests WHERE request_id = {r:String}',
      { r: created.body.requestId },
    );
    // Only the final version is left, without the identifier.
    expect(request).toEqual({ subject: '', n: 1 });
  } finally {
    // Also when an expectation fails: a failed run must not leave the server running.
    await server.kill('SIGTERM');
  }
});
