import { join } from 'node:path';
import type { ResolvedOptions } from '../config/options.js';
import { ChdbTransport } from './chdb-transport.js';
import { HttpTransport } from './http-transport.js';
import { migrate } from './migrations.js';
import type { ClickHouseTransport } from './transport.js';

/** A ClickHouse server when CLICKHOUSE_URL is set, else the embedded engine in `<dataDir>/clickhouse`. */
export async function openStore(options: Pick<ResolvedOptions, 'clickhouseUrl' | 'dataDir' | 'engineDir' | 'database'>): Promise<ClickHouseTransport> {
  const transport =
    options.clickhouseUrl !== undefined
      ? await HttpTransport.open({ url: options.clickhouseUrl, database: options.database })
      : await ChdbTransport.open({ path: options.engineDir ?? join(options.dataDir, 'clickhouse'), database: options.database });
  try {
    await migrate(transport);
  } catch (err) {
    await transport.close();
    throw err;
  }
  return transport;
}
