import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbTransport } from '../storage/chdb-transport.js';
import { HttpTransport } from '../storage/http-transport.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { startClickHouseHttpFront, type ClickHouseHttpFront } from './clickhouse-http-front.js';

/** A transport's label and how to open it on a database of the shared engine. */
export type TransportCase = [name: string, open: (database: string) => Promise<ClickHouseTransport>];

/**
 * Both transports on one engine directory (one libchdb engine per process): the
 * embedded one directly, the server one (@clickhouse/client) through the
 * test-only HTTP front. `cases` can be listed before `start` (for describe.each);
 * opening a server case needs the front started.
 */
export function bothTransports(prefix: string): { cases: TransportCase[]; start(): Promise<void>; stop(): Promise<void> } {
  const enginePath = mkdtempSync(join(tmpdir(), prefix));
  let front: ClickHouseHttpFront | undefined;
  const url = (): string => {
    if (front === undefined) throw new Error('bothTransports: start() the HTTP front first');
    return front.url;
  };
  return {
    cases: [
      ['embedded (chdb)', (database) => ChdbTransport.open({ path: enginePath, database })],
      ['server (@clickhouse/client over HTTP)', (database) => HttpTransport.open({ url: url(), database })],
    ],
    async start() {
      front = await startClickHouseHttpFront({ path: enginePath });
    },
    async stop() {
      await front?.close();
    },
  };
}
