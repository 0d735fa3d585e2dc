import autocannon from 'autocannon';

/** Load shared by the ingestion benchmarks (env BENCH_SECONDS, default 10; BENCH_CONNECTIONS, default 50). */
export const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
export const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
export const WRITE_KEY = 'wk_bench_write_key_0001';
const AUTH = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;

/** One ~500-byte event with placeholders for its ids. */
function eventTemplate(): string {
  return JSON.stringify({
    type: 'track',
    event: 'Transfer Completed',
    userId: '@@U@@',
    anonymousId: '@@A@@',
    messageId: '@@ID@@',
    timestamp: '2026-11-20T10:00:00.000Z',
    properties: { amount: 125.5, currency: 'EUR', method: 'sepa', recipient: 'r-17', fee: 0.25, note: 'rent share' },
    context: { library: { name: 'bench', version: '1.0.0' }, locale: 'de-DE', ip: '203.0.113.7', userAgent: 'bench/1.0 (Linux x86_64)' },
  });
}

/**
 * A body builder: fresh messageIds for every request (one string join), and
 * user/device ids drawn so that each device belongs to one user.
 */
export function bodyFactory(kind: 'batch' | 'single', prefix: string): () => string {
  const n = kind === 'batch' ? 100 : 1;
  const parts = eventTemplate().split(/@@(?:U|A|ID)@@/);
  let seq = 0;
  return () => {
    let out = kind === 'batch' ? '{"batch":[' : '';
    for (let i = 0; i < n; i++) {
      const g = seq++;
      if (i > 0) out += ',';
      out += `${parts[0]}u-${g % 50_000}${parts[1]}a-${g % 150_000}${parts[2]}${prefix}-${g}${parts[3]}`;
    }
    return kind === 'batch' ? `${out}]}` : out;
  };
}

export interface RunResult {
  reqPerSec: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

export async function load(url: string, kind: 'batch' | 'single', prefix: string): Promise<RunResult> {
  const next = bodyFactory(kind, prefix);
  const path = kind === 'batch' ? '/v1/batch' : '/v1/track';
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path,
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: next() }),
      },
    ],
  });
  const ok = result['2xx'];
  const perReq = kind === 'batch' ? 100 : 1;
  return {
    reqPerSec: ok / SECONDS,
    eventsPerSec: (ok * perReq) / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

export const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A short load so JIT and the engine's first parts do not count. */
export async function warmUp(url: string, kind: 'batch' | 'single'): Promise<void> {
  await autocannon({ url, connections: 10, duration: 2, requests: [{ method: 'POST', path: '/v1/batch', body: bodyFactory(kind, 'warm')() }] });
}
