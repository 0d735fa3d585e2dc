import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../testing/child-server.js';
import { openBulkStore, StoreBusyError } from './bulk.js';

// This file opens no engine of its own before the attempt: the lock error is the server's, not this process's.
const dir = mkdtempSync(join(tmpdir(), 'cdp-demo-lock-'));
let server: ChildServer | undefined;

afterAll(async () => {
  await server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

it('refuses to load in bulk while a server holds the embedded store, and says what to do', async () => {
  server = await startChildServer({ CDP_DATA_DIR: dir });
  const attempt = openBulkStore({ dataDir: dir, database: 'cdp', engineDir: undefined, clickhouseUrl: undefined });
  await expect(attempt).rejects.toBeInstanceOf(StoreBusyError);
  await expect(attempt).rejects.toThrow(new RegExp(`in use by another process \\(pid ${server.process.pid}; is the API server running on it\\?\\).*--mode http`));
});
