import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type Reply, type TestServer } from './testing.js';

/** Runs process-fixture.ts in a fresh node process; resolves with its output, exit code and run time. */
function runFixture(host: string, events: number, mode: 'close' | 'flush' | 'none') {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./process-fixture.ts', import.meta.url)), host, String(events), mode],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise<{ code: number | null; out: string; ms: number }>((resolve) => {
    child.on('exit', (code) => resolve({ code, out, ms: Date.now() - started }));
  });
}

let server: TestServer | undefined;
afterEach(async () => {
  expect(server?.violations).toEqual([]);
  await server?.close();
});

async function serve(reply?: (r: { n: number }) => Reply) {
  server = await startTestServer(reply);
  return server;
}

describe('process lifetime', () => {
  it('a process that awaits close() exits on its own with every event delivered', async () => {
    const s = await serve();
    const r = await runFixture(s.url, 3000, 'close');
    expect(r.code).toBe(0);
    expect(r.out).toBe('done\n');
    expect(new Set(s.acceptedIds).size).toBe(3000);
  });

  it('stays alive through a retry backoff while flush() is awaited', async () => {
    const s = await serve((r) => (r.n === 1 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 200 }));
    const r = await runFixture(s.url, 10, 'flush');
    expect(r.code).toBe(0);
    expect(s.requests).toHaveLength(2);
    expect(s.acceptedIds).toHaveLength(10);
  });

  it('does not keep an idle process alive: its timers are unref’d', async () => {
    const s = await serve();
    // 10 events wait for the 10 s flush interval; the process must not wait with them.
    const r = await runFixture(s.url, 10, 'none');
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(8_000);
    expect(s.requests).toHaveLength(0);
  });
});
