import type { ClickHouseTransport } from './transport.js';

/**
 * Ordered, append-only schema migrations. A migration is never edited once
 * released: add a new one. Each statement is idempotent (IF NOT EXISTS) so a
 * crash between a statement and its bookkeeping row is harmless.
 *
 * Table engines are single-node MergeTree family; on a ClickHouse cluster,
 * create the Replicated equivalents with the same columns before starting.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

// Retried batch inserts carry insert_deduplication_token; these tables keep the
// last tokens so a replay after a crash is absorbed.
const DEDUP = 'non_replicated_deduplication_window = 1000';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenancy',
    statements: [
      `CREATE TABLE IF NOT EXISTS workspaces (
        id String,
        name String,
        created_at DateTime64(3, 'UTC'),
        settings String DEFAULT '{}',
        deleted UInt8 DEFAULT 0,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS api_keys (
        key_hash String,
        key_id String,
        workspace_id String,
        kind LowCardinality(String),
        prefix String,
        created_at DateTime64(3, 'UTC'),
        revoked UInt8 DEFAULT 0,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY key_hash`,
    ],
  },
  {
    version: 2,
    name: 'events',
    statements: [
      `CREATE TABLE IF NOT EXISTS events (
        workspace_id LowCardinality(String),
        message_id String,
        type LowCardinality(String),
        event String,
        name String,
        category String,
        user_id String,
        anonymous_id String,
        profile_id String,
        group_id String,
        previous_id String,
        timestamp DateTime64(3, 'UTC'),
        sent_at Nullable(DateTime64(3, 'UTC')),
        received_at DateTime64(3, 'UTC'),
        properties String,
        traits String,
        context String,
        integrations String,
        channel LowCardinality(String),
        key_id LowCardinality(String)
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(received_at)
      ORDER BY (workspace_id, profile_id, timestamp, message_id)
      SETTINGS ${DEDUP}`,
      `CREATE TABLE IF NOT EXISTS dead_letters (
        workspace_id LowCardinality(String),
        received_at DateTime64(3, 'UTC'),
        message_id String,
        code LowCardinality(String),
        reason String,
        path String,
        payload String,
        key_id LowCardinality(String)
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(received_at)
      ORDER BY (workspace_id, received_at)
      SETTINGS ${DEDUP}`,
      // The dedup ledger: one row per messageId ever stored, keyed for point lookups.
      `CREATE TABLE IF NOT EXISTS message_ids (
        workspace_id LowCardinality(String),
        message_id String,
        received_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree
      ORDER BY (workspace_id, message_id)
      SETTINGS ${DEDUP}`,
    ],
  },
];

export async function migrate(transport: ClickHouseTransport, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await transport.command(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  ) ENGINE = ReplacingMergeTree ORDER BY version`);
  const done = new Set(
    (await transport.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const stmt of m.statements) await transport.command(stmt);
    await transport.command('INSERT INTO schema_migrations (version, name) VALUES ({version:UInt32}, {name:String})', {
      version: m.version,
      name: m.name,
    });
    applied.push(m.version);
  }
  return applied;
}
