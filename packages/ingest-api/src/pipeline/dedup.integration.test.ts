import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

const send = (target: TestApi, batch: unknown[]) =>
  fetch(`${target.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${target.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });

async function countOf(target: TestApi, messageId: string): Promise<number> {
  await target.flush();
  const [row] = await target.query<{ n: number }>('SELECT count() AS n FROM events WHERE message_id = {m:String}', { m: messageId });
  return Number(row?.n);
}

describe('the same messageId is stored once', () => {
  it('when sent twice in a row', async () => {
    const ev = { type: 'track', event: 'x', userId: 'u', messageId: 'twice-1' };
    expect((await send(api, [ev])).status).toBe(200);
    await api.flush();
    expect((await send(api, [ev])).status).toBe(200);
    expect(await countOf(api, 'twice-1')).toBe(1);
  });

  it('when repeated inside one batch', async () => {
    const ev = { type: 'track', event: 'x', userId: 'u', messageId: 'inbatch-1' };
    expect((await send(api, [ev, ev, ev])).status).toBe(200);
    expect(await countOf(api, 'inbatch-1')).toBe(1);
  });

  it('when sent concurrently', async () => {
    const ev = { type: 'track', event: 'x', userId: 'u', messageId: 'concurrent-1' };
    const results = await Promise.all(Array.from({ length: 20 }, () => send(api, [ev])));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await countOf(api, 'concurrent-1')).toBe(1);
  });

  it('in the same messageId across workspaces, each workspace keeps its own', async () => {
    const created = await fetch(`${api.url}/v1/admin/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'second' }),
    });
    const { writeKey } = (await created.json()) as { writeKey: string };
    const ev = { type: 'track', event: 'x', userId: 'u', messageId: 'shared-id' };
    await send(api, [ev]);
    await send({ ...api, writeKey }, [ev]);
    expect(await countOf(api, 'shared-id')).toBe(2);
  });

  it('across a restart, also when the dedup memory is gone', async () => {
    const restartable = await startTestApi();
    const ev = { type: 'track', event: 'x', userId: 'u', messageId: 'restart-1' };
    expect((await send(restartable, [ev])).status).toBe(200);
    await restartable.flush();
    await restartable.close({ cleanup: false });
    const again = await startTestApi({ reuse: restartable });
    expect((await send(again, [ev])).status).toBe(200);
    expect(await countOf(again, 'restart-1')).toBe(1);
    await again.close();
  });
});
