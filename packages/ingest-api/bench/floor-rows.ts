import { validateEvent, type Event } from '@cdp/protocol';
import { buildEventRow, eventContext, eventTime } from '../src/ingest/event-row.js';
import { requestFacts } from '../src/ingest/process.js';

/** The floor's events table: the columns issue 2 mandates (and the row builder writes), the API's sort key. */
export function floorEventsTable(engine = 'MergeTree ORDER BY (workspace_id, profile_id, timestamp, message_id)', name = 'events'): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
  workspace_id LowCardinality(String), message_id String, type LowCardinality(String), event String,
  name String, category String, user_id String, anonymous_id String, profile_id String, group_id String,
  previous_id String, timestamp DateTime64(3, 'UTC'), sent_at Nullable(DateTime64(3, 'UTC')),
  received_at DateTime64(3, 'UTC'), properties String, traits String, context String, integrations String,
  channel LowCardinality(String), key_id LowCardinality(String)
) ENGINE = ${engine}`;
}

/** Validates each event with the protocol's zod schema and, when `withRows`, builds its events-table row. */
export function floorRows(raw: readonly unknown[], options: { type?: Event['type']; withRows: boolean }): { rows: string[]; invalid: number } {
  const facts = requestFacts({ workspaceId: 'ws', keyId: 'key', receivedAt: Date.now(), ip: undefined }, {});
  const rows: string[] = [];
  let invalid = 0;
  for (const input of raw) {
    const v = validateEvent(input, options.type);
    if (!v.ok) {
      invalid++;
      continue;
    }
    const e = v.event;
    if (options.withRows) rows.push(buildEventRow(e, e.messageId ?? '', facts, eventContext(e, facts), eventTime(e, facts)));
  }
  return { rows, invalid };
}
