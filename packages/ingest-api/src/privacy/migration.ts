import type { Migration } from '../storage/migrations.js';

/** Per-row retention: the TTL deletes a row `retention_days` after it was received; 0 keeps it. */
const RETENTION_TTL = 'toDateTime(received_at) + toIntervalDay(retention_days) WHERE retention_days > 0';

/**
 * Migration 5: privacy and compliance (see the README section "Privacy and
 * compliance"). Appended to MIGRATIONS in storage/migrations.ts.
 */
export const PRIVACY_MIGRATION: Migration = {
  version: 5,
  name: 'privacy',
  statements: [
    // Retention: stamped on each row at flush time from the workspace setting; changing the setting
    // updates the workspace's existing rows. Existing parts are not rescanned now (materialize off):
    // their rows all have retention 0 until a setting changes them.
    'ALTER TABLE events ADD COLUMN IF NOT EXISTS retention_days UInt16 DEFAULT 0',
    `ALTER TABLE events MODIFY TTL ${RETENTION_TTL} SETTINGS materialize_ttl_after_modify = 0`,
    'ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS retention_days UInt16 DEFAULT 0',
    `ALTER TABLE dead_letters MODIFY TTL ${RETENTION_TTL} SETTINGS materialize_ttl_after_modify = 0`,
    // One secret per workspace keying PII and suppression hashes; the earliest row wins.
    `CREATE TABLE IF NOT EXISTS privacy_salts (
      workspace_id LowCardinality(String),
      salt String,
      created_at DateTime64(3, 'UTC')
    ) ENGINE = MergeTree
    ORDER BY (workspace_id, created_at)`,
    // Erased identifiers: HMAC-SHA-256(salt, normalized "type:value"), never the value.
    `CREATE TABLE IF NOT EXISTS privacy_suppressions (
      workspace_id LowCardinality(String),
      hash String,
      request_id String,
      created_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree
    ORDER BY (workspace_id, hash)`,
    // Data-subject requests. The identifier (and, while an erasure runs, its plan) is kept only until
    // the request finishes; then the older versions of the row are deleted.
    `CREATE TABLE IF NOT EXISTS privacy_requests (
      workspace_id LowCardinality(String),
      request_id String,
      type LowCardinality(String),
      status LowCardinality(String),
      identifier String,
      subject_hash String,
      plan String,
      result String,
      error String,
      key_id String,
      attempts UInt32,
      created_at DateTime64(3, 'UTC'),
      updated_at DateTime64(3, 'UTC'),
      version UInt64
    ) ENGINE = ReplacingMergeTree(version)
    ORDER BY (workspace_id, request_id)`,
    // Access exports, one NDJSON line per row, until they expire.
    `CREATE TABLE IF NOT EXISTS privacy_exports (
      workspace_id LowCardinality(String),
      request_id String,
      seq UInt64,
      line String,
      expires_at DateTime('UTC')
    ) ENGINE = MergeTree
    ORDER BY (workspace_id, request_id, seq)
    TTL expires_at`,
    // Who did what, when, with which outcome: every admin and privacy action.
    `CREATE TABLE IF NOT EXISTS audit_log (
      workspace_id LowCardinality(String),
      at DateTime64(3, 'UTC'),
      audit_id String,
      key_id String,
      action LowCardinality(String),
      target String,
      details String,
      outcome LowCardinality(String),
      status UInt16,
      error_code LowCardinality(String),
      request_id String
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(at)
    ORDER BY (workspace_id, at, audit_id)`,
  ],
};
