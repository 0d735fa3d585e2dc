import { PRIVACY_MIGRATION } from '../privacy/migration.js';
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

/**
 * Rows of `profile_activity` from events (the view's query; also recomputes a profile's rows): per stored
 * profile and event type, the first and last event and every UTC date with one.
 */
export const ACTIVITY_SELECT = `SELECT workspace_id, toUUIDOrZero(profile_id) AS profile_key, type, min(timestamp) AS first_at, max(timestamp) AS last_at,
  groupUniqArray(toDate(timestamp, 'UTC')) AS days
  FROM events WHERE profile_id != ''`;

/** The same as migration 7 created it (before `days`): a migration's statements never change. */
const ACTIVITY_SELECT_V7 = `SELECT workspace_id, toUUIDOrZero(profile_id) AS profile_key, type, min(timestamp) AS first_at, max(timestamp) AS last_at
  FROM events WHERE profile_id != ''`;

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
        key_id LowCardinality(String),
        -- Order in which the pipeline resolved the event: replays (unmerge) follow it exactly.
        ingest_seq UInt64
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
  {
    version: 3,
    name: 'identity',
    statements: [
      // Every table is versioned (ReplacingMergeTree): the newest row per key is the truth,
      // `deleted = 1` retires a row (unmerge recomputes a component). Read with argMax or FINAL.
      `CREATE TABLE IF NOT EXISTS profiles (
        workspace_id LowCardinality(String),
        profile_id String,
        created_at DateTime64(3, 'UTC'),
        created_by String,
        deleted UInt8 DEFAULT 0,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (workspace_id, profile_id)
      SETTINGS ${DEDUP}`,
      // Identifier attachments; never rewritten on merge (read through profile_aliases).
      `CREATE TABLE IF NOT EXISTS identities (
        workspace_id LowCardinality(String),
        id_type LowCardinality(String),
        id_value String,
        profile_id String,
        message_id String,
        attached_at DateTime64(3, 'UTC'),
        deleted UInt8 DEFAULT 0,
        version UInt64,
        INDEX idx_profile profile_id TYPE bloom_filter GRANULARITY 1
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (workspace_id, id_type, id_value)
      SETTINGS ${DEDUP}`,
      // Merge history: one row per merged-away profile.
      `CREATE TABLE IF NOT EXISTS profile_merges (
        workspace_id LowCardinality(String),
        from_profile String,
        into_profile String,
        by_message_id String,
        at DateTime64(3, 'UTC'),
        deleted UInt8 DEFAULT 0,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (workspace_id, from_profile)
      SETTINGS ${DEDUP}`,
      // The query-time override map, compacted on write: every merged-away id points straight at
      // its current survivor (chains are flattened), one row per id, so it only grows with profiles.
      `CREATE TABLE IF NOT EXISTS profile_aliases (
        workspace_id LowCardinality(String),
        profile_id String,
        canonical_id String,
        deleted UInt8 DEFAULT 0,
        version UInt64,
        INDEX idx_canonical canonical_id TYPE bloom_filter GRANULARITY 1
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (workspace_id, profile_id)
      SETTINGS ${DEDUP}`,
      // The winning version of each trait key of each surviving profile; value is JSON text.
      `CREATE TABLE IF NOT EXISTS profile_traits (
        workspace_id LowCardinality(String),
        profile_id String,
        key String,
        value String,
        at DateTime64(3, 'UTC'),
        message_id String,
        once UInt8,
        deleted UInt8 DEFAULT 0,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (workspace_id, profile_id, key)
      SETTINGS ${DEDUP}`,
      // Identifiers that were dropped (blocked, invalid, limit_conflict, cap) and events left without a
      // profile. Values are not stored: a dropped identifier may still be personal data.
      `CREATE TABLE IF NOT EXISTS identity_warnings (
        workspace_id LowCardinality(String),
        received_at DateTime64(3, 'UTC'),
        message_id String,
        warning LowCardinality(String),
        id_type LowCardinality(String),
        reason LowCardinality(String),
        detail LowCardinality(String)
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(received_at)
      ORDER BY (workspace_id, received_at)
      SETTINGS ${DEDUP}`,
      // Identity jobs (unmerge): the plan is stored before it is applied, so a job interrupted by a
      // crash is finished from the same plan after the restart.
      `CREATE TABLE IF NOT EXISTS identity_jobs (
        workspace_id LowCardinality(String),
        job_id String,
        kind LowCardinality(String),
        status LowCardinality(String),
        request String,
        plan String,
        result String,
        key_id String,
        created_at DateTime64(3, 'UTC'),
        updated_at DateTime64(3, 'UTC'),
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (workspace_id, job_id)`,
      // Each event with its CURRENT profile: the profile it was stored with, mapped through merges.
      `CREATE VIEW IF NOT EXISTS events_resolved AS
      SELECT e.*, if(a.canonical_id = '', e.profile_id, a.canonical_id) AS resolved_profile_id
      FROM events AS e
      LEFT JOIN (
        SELECT workspace_id, profile_id, argMax(canonical_id, version) AS canonical_id
        FROM profile_aliases
        GROUP BY workspace_id, profile_id
        HAVING argMax(deleted, version) = 0
      ) AS a ON a.workspace_id = e.workspace_id AND a.profile_id = e.profile_id`,
    ],
  },
  {
    version: 4,
    name: 'segments',
    statements: [
      // Segment and computed-trait definitions: one versioned JSON document per id (read with argMax).
      ...['segments', 'computed_traits'].map(
        (table) => `CREATE TABLE IF NOT EXISTS ${table} (
        workspace_id LowCardinality(String),
        id String,
        name String,
        description String,
        body String,
        created_at DateTime64(3, 'UTC'),
        updated_at DateTime64(3, 'UTC'),
        deleted UInt8 DEFAULT 0,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (workspace_id, id)`,
      ),
    ],
  },
  PRIVACY_MIGRATION,
  {
    version: 6,
    name: 'segment-reads',
    statements: [
      // A workspace has few event names: as LowCardinality, segments' `event = …` filters compare dictionary
      // positions, not strings (a 10 M-event segment count 15% faster; packages/ingest-api/bench/segments).
      // Synchronous so that no query runs while old parts are being converted.
      `ALTER TABLE events MODIFY COLUMN event LowCardinality(String) SETTINGS mutations_sync = 2`,
      // Trait conditions read one key of every profile; a projection ordered by key reads only that key's rows
      // (~40% less time per trait condition). Merges and lightweight deletes (erasure) rebuild it.
      `ALTER TABLE profile_traits MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild'`,
      `ALTER TABLE profile_traits ADD PROJECTION IF NOT EXISTS by_key (SELECT * ORDER BY workspace_id, key, profile_id)`,
      `ALTER TABLE profile_traits MATERIALIZE PROJECTION by_key SETTINGS mutations_sync = 2`,
    ],
  },
  {
    version: 7,
    name: 'profile-activity',
    statements: [
      // Profile ids are UUIDs (the identity writer generates them): as a 16-byte UUID the segment compiler's
      // per-profile GROUP BY hashes a fixed-size key instead of a 36-character string (the bench dataset's
      // GROUP BY of 10 M events by profile 2.4x faster; packages/ingest-api/bench/segments). Zero = no profile.
      `ALTER TABLE events ADD COLUMN IF NOT EXISTS profile_key UUID MATERIALIZED toUUIDOrZero(profile_id)`,
      `ALTER TABLE events MATERIALIZE COLUMN profile_key SETTINGS mutations_sync = 2`,
      // First and last event of each type per stored profile, kept at insert by the view below: lifecycle
      // stages read ~2 rows per profile here instead of every event. Only min/max, so an event counted twice
      // (a migration re-run, an unmerge copy) changes nothing. Erasure and unmerge recompute the rows of the
      // profiles whose events they delete (refreshActivity).
      `CREATE TABLE IF NOT EXISTS profile_activity (
        workspace_id LowCardinality(String),
        profile_key UUID,
        type LowCardinality(String),
        first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
        last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
      ) ENGINE = AggregatingMergeTree
      ORDER BY (workspace_id, profile_key, type)`,
      // The view first, then the backfill: an event inserted in between is counted twice, never missed.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS profile_activity_mv TO profile_activity AS ${ACTIVITY_SELECT_V7} GROUP BY workspace_id, profile_key, type`,
      `INSERT INTO profile_activity ${ACTIVITY_SELECT_V7} GROUP BY workspace_id, profile_key, type`,
    ],
  },
  {
    version: 8,
    name: 'trait-keys',
    statements: [
      // Trait conditions group one key's rows by profile: on the 16-byte UUID instead of the 36-character
      // string, and without converting each id at query time (a trait set over 750 k profiles 1.9x faster,
      // 2.4x with the compiler's argMax over the test; packages/ingest-api/bench/segments). The by_key
      // projection is rebuilt to carry the new column.
      `ALTER TABLE profile_traits ADD COLUMN IF NOT EXISTS profile_key UUID MATERIALIZED toUUIDOrZero(profile_id)`,
      `ALTER TABLE profile_traits MATERIALIZE COLUMN profile_key SETTINGS mutations_sync = 2`,
      `ALTER TABLE profile_traits DROP PROJECTION IF EXISTS by_key SETTINGS mutations_sync = 2`,
      `ALTER TABLE profile_traits ADD PROJECTION IF NOT EXISTS by_key (SELECT * ORDER BY workspace_id, key, profile_key)`,
      `ALTER TABLE profile_traits MATERIALIZE PROJECTION by_key SETTINGS mutations_sync = 2`,
    ],
  },
  {
    version: 9,
    name: 'activity-days',
    statements: [
      // Churn risk's active days: the UTC dates with an event, per stored profile and type, kept at insert
      // beside first/last. A segment then reads ~2 rows per profile instead of every activity event of the
      // lookback (the churn + RFM bench segment ~30% faster; packages/ingest-api/bench/segments). A union of
      // dates, so like min/max an event counted twice changes nothing; erasure and unmerge recompute the rows.
      `ALTER TABLE profile_activity ADD COLUMN IF NOT EXISTS days SimpleAggregateFunction(groupUniqArrayArray, Array(Date))`,
      `DROP VIEW IF EXISTS profile_activity_mv`,
      // The view again, then a backfill of every row: events inserted before the view is back are in the
      // backfill; rows added twice merge into the same values.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS profile_activity_mv TO profile_activity AS ${ACTIVITY_SELECT} GROUP BY workspace_id, profile_key, type`,
      `INSERT INTO profile_activity ${ACTIVITY_SELECT} GROUP BY workspace_id, profile_key, type`,
      // The backfill doubled the rows: merged now, segments do not scan twice the rows until background
      // merges get to it (~3 s on the bench dataset).
      `OPTIMIZE TABLE profile_activity FINAL`,
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
