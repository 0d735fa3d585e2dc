import { demoBatches, worldOf, type DemoProgress } from './generate.js';
import type { DemoOptions } from './options.js';
import { DEMO_SEGMENT_SETTINGS, type DemoEvent } from './wallet.js';

const MAX_ATTEMPTS = 8;
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Sends the demo through a running API (`POST /v1/batch`), `concurrency`
 * requests in flight, each carrying whole people (so one person's events keep
 * their order). Retries what clients retry (429, 5xx, network errors) with
 * backoff, honouring Retry-After.
 */
export async function sendOverHttp(options: DemoOptions, onProgress: (p: DemoProgress) => void = () => undefined): Promise<DemoProgress> {
  const auth = `Basic ${Buffer.from(`${options.writeKey ?? ''}:`).toString('base64')}`;
  if (options.secretKey !== undefined) await putSettings(options);
  const progress: DemoProgress = { people: 0, events: 0 };
  const inFlight = new Set<Promise<void>>();
  for (const batch of demoBatches(worldOf(options), options.requestEvents)) {
    const sent = send(options.url, auth, batch.events).then(() => {
      progress.people += batch.people;
      progress.events += batch.events.length;
      onProgress({ ...progress });
    });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent)).catch(() => undefined);
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return progress;
}

async function send(url: string, auth: string, events: DemoEvent[]): Promise<void> {
  // A person with more events than a batch may hold is sent in order, one request after the other.
  for (let i = 0; i < events.length; i += 2_500) {
    const body = JSON.stringify({ batch: events.slice(i, i + 2_500) });
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let retryAfter = 0;
      try {
        const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
        status = res.status;
        retryAfter = Number(res.headers.get('retry-after') ?? 0);
        const text = await res.text();
        if (res.ok) break;
        if (!RETRY_STATUS.has(status)) throw new Error(`the API answered ${status}: ${text.slice(0, 500)}`);
      } catch (err) {
        if (status !== 0 && !RETRY_STATUS.has(status)) throw err;
      }
      if (attempt >= MAX_ATTEMPTS) throw new Error(`the API did not accept a batch after ${MAX_ATTEMPTS} attempts (last status ${status})`);
      await new Promise((r) => setTimeout(r, Math.max(retryAfter * 1000, Math.min(100 * 2 ** attempt, 10_000))));
    }
  }
}

async function putSettings(options: DemoOptions): Promise<void> {
  const res = await fetch(`${options.url}/v1/segments/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${options.secretKey ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(DEMO_SEGMENT_SETTINGS),
  });
  if (!res.ok) throw new Error(`could not set the segment settings: ${res.status} ${await res.text()}`);
}
