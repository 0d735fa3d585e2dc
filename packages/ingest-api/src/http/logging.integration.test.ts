import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

const lines: Array<Record<string, unknown>> = [];
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ onLog: (l) => lines.push(l) });
});
afterAll(async () => {
  await api.close();
});

it('logs each request with a request id and never logs keys or event payloads', async () => {
  const secretEmail = 'jane.private@example.org';
  const basic = `Basic ${Buffer.from(`${api.writeKey}:`).toString('base64')}`;
  const body = JSON.stringify({ userId: 'user-private-42', event: 'Salary Received', properties: { iban: 'DE89370400440532013000', email: secretEmail } });
  const r1 = await fetch(`${api.url}/v1/track`, { method: 'POST', headers: { authorization: basic, 'x-request-id': 'req-abc.1' }, body });
  expect(r1.headers.get('x-request-id')).toBe('req-abc.1');
  await fetch(`${api.url}/beacon/v1/batch?writeKey=${api.writeKey}`, { method: 'POST', body: JSON.stringify({ batch: [JSON.parse(body)] }) });
  await fetch(`${api.url}/v1/t`, { method: 'POST', body: JSON.stringify({ ...JSON.parse(body), writeKey: api.writeKey }) });
  await fetch(`${api.url}/v1/track`, { method: 'POST', headers: { authorization: basic }, body: `{"email":"${secretEmail}", broken` });
  await fetch(`${api.url}/v1/admin/sql`, { method: 'POST', headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: 'SELECT 1' }) });
  const generated = await fetch(`${api.url}/healthz`);
  expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

  const text = lines.map((l) => JSON.stringify(l)).join("\n");
  expect(lines.some((l) => l['reqId'] === 'req-abc.1')).toBe(true);
  expect(lines.filter((l) => l['msg'] === 'request completed').length).toBeGreaterThanOrEqual(5);
  for (const l of lines) {
    const req = l['req'] as Record<string, unknown> | undefined;
    if (req !== undefined) expect(req['remoteAddress'] ?? '[redacted]').toBe('[redacted]');
  }
  for (const secret of [api.writeKey, api.adminKey, Buffer.from(`${api.writeKey}:`).toString('base64'), secretEmail, 'user-private-42', 'Salary Received', 'DE89370400440532013000']) {
    expect(text).not.toContain(secret);
  }
});
