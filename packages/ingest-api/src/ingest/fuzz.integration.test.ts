import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';
import { INGEST_ROUTES } from './routes.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

const valid = {
  batch: [
    { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'm1', properties: { total: 9.99, items: [{ sku: 'a' }] }, context: { traits: { email: 'a@b.co' } } },
    { type: 'identify', anonymousId: 'a1', traits: { name: 'A' } },
  ],
  context: { library: { name: 'x', version: '1' } },
};
const validBytes = Buffer.from(JSON.stringify(valid));

/** Bodies: arbitrary JSON, valid bodies with one field replaced by anything, and byte-level mutations. */
const jsonBody = fc.oneof(
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc
    .record({
      index: fc.nat(1),
      field: fc.constantFrom('type', 'event', 'userId', 'anonymousId', 'messageId', 'timestamp', 'properties', 'context', 'traits', 'integrations', 'groupId', 'previousId', 'sentAt', 'originalTimestamp'),
      value: fc.anything({ maxDepth: 3 }),
    })
    .map(({ index, field, value }) => {
      const copy = structuredClone(valid) as { batch: Array<Record<string, unknown>> };
      const ev = copy.batch[index] as Record<string, unknown>;
      ev[field] = value;
      return Buffer.from(JSON.stringify(copy, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '{}');
    }),
  // Strings of any UTF-16 code units, lone surrogates included (JSON.stringify writes those as \udXXX escapes),
  // where they become column values: ClickHouse refuses such a row, so one of them once held back every batch.
  fc
    .record({
      index: fc.nat(1),
      field: fc.constantFrom('event', 'userId', 'anonymousId', 'messageId', 'groupId', 'previousId', 'trait key', 'email'),
      value: fc
        .array(fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0xffff })), { minLength: 1, maxLength: 6 })
        .map((units) => String.fromCharCode(...units)),
    })
    .map(({ index, field, value }) => {
      const copy = structuredClone(valid) as { batch: Array<Record<string, unknown>> };
      const ev = copy.batch[index] as Record<string, unknown>;
      if (field === 'trait key') ev['traits'] = { [value]: 1 };
      else if (field === 'email') ev['traits'] = { email: `${value}@example.com` };
      else ev[field] = value;
      return Buffer.from(JSON.stringify(copy));
    }),
  fc
    .array(fc.record({ at: fc.nat(validBytes.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 })
    .map((flips) => {
      const b = Buffer.from(validBytes);
      for (const f of flips) b[f.at] = f.byte;
      return b;
    }),
  fc.nat(validBytes.length).map((n) => validBytes.subarray(0, n)),
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
);

const request = fc.record({
  route: fc.constantFrom(...INGEST_ROUTES.map((r) => r.url)),
  body: jsonBody,
  gzip: fc.boolean(),
  truncateGzip: fc.boolean(),
  encoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'bogus', ''),
  contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/octet-stream'),
  auth: fc.constantFrom('basic', 'body', 'none', 'garbage'),
});

it('never answers 5xx or crashes on thousands of random and mutated requests', { timeout: 180_000 }, async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      let payload = r.body;
      if (r.auth === 'body') {
        try {
          const parsed = JSON.parse(payload.toString()) as unknown;
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) payload = Buffer.from(JSON.stringify({ ...parsed, writeKey: api.writeKey }));
        } catch {
          // not JSON: send as is
        }
      }
      if (r.gzip) {
        payload = gzipSync(payload);
        if (r.truncateGzip) payload = payload.subarray(0, Math.max(2, payload.length - 5));
      }
      const headers: Record<string, string> = {};
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.encoding !== undefined) headers['content-encoding'] = r.encoding;
      if (r.auth === 'basic') headers['authorization'] = `Basic ${Buffer.from(`${api.writeKey}:`).toString('base64')}`;
      if (r.auth === 'garbage') headers['authorization'] = 'Basic !!!not-base64';
      const res = await api.app.fastify.inject({ method: 'POST', url: r.route, headers, payload });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      expect(res.statusCode).toBeLessThan(500);
      const body = res.json() as { success?: boolean; error?: { code: string; message: string } };
      if (res.statusCode >= 400) expect(typeof body.error?.code).toBe('string');
    }),
    { numRuns: 3000, seed: 20261123 },
  );
  // Both outcomes were exercised, and the server still serves a normal request.
  expect([...statuses.keys()].some((s) => s === 200)).toBe(true);
  expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
  const ok = await fetch(`${api.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${api.writeKey}:`).toString('base64')}` },
    body: validBytes,
  });
  expect(ok.status).toBe(200);
  await api.flush();
  expect((await (await fetch(`${api.url}/readyz`)).json())).toMatchObject({ flushing: 'ok' });
});
