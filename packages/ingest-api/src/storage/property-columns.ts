import type { PropertyColumn } from '@cdp/segments';
import { PROPERTY_COLUMN_NAME, type ResolvedOptions } from '../config/options.js';
import type { ClickHouseTransport } from './transport.js';

/** A top-level event property the deployment keeps in a typed column of `events` (option `propertyColumns`). */
export type PropertyColumnOption = ResolvedOptions['propertyColumns'][number];

const SQL_TYPE = { number: 'Nullable(Float64)', string: 'Nullable(String)' } as const;
const PREFIX = { number: 'prop_num_', string: 'prop_str_' } as const;

/** The column of `events` that holds a declared property: `prop_num_<property>` or `prop_str_<property>`. */
export function propertyColumnName(p: PropertyColumnOption): string {
  return PREFIX[p.type] + p.property;
}

/**
 * Makes sure `events` has a typed column for every declared property, kept at
 * insert as `JSONExtract(properties, '<property>', '<type>')` — the very
 * expression the segment compiler would otherwise evaluate, so reading the
 * column gives the same value. A column added now is backfilled from the
 * stored events (`MATERIALIZE COLUMN`, ~2 s per 10 M events); until that
 * finishes ClickHouse computes it from `properties` when reading older parts,
 * so answers are the same either way. Columns no longer declared stay (they
 * cost only their storage) and are not read.
 *
 * The property name goes into the DDL as a literal: DDL takes no query
 * parameters, so `PROPERTY_COLUMN_NAME` (checked again here) admits only
 * plain identifiers.
 */
export async function ensurePropertyColumns(t: ClickHouseTransport, declared: readonly PropertyColumnOption[]): Promise<PropertyColumn[]> {
  if (declared.length === 0) return [];
  const existing = new Set(
    (await t.query<{ name: string }>(`SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events'`)).map((r) => r.name),
  );
  const columns: PropertyColumn[] = [];
  for (const p of declared) {
    if (!PROPERTY_COLUMN_NAME.test(p.property)) throw new TypeError(`property column: not a plain property name: ${JSON.stringify(p.property)}`);
    const column = propertyColumnName(p);
    if (!existing.has(column)) {
      const type = SQL_TYPE[p.type];
      await t.command(`ALTER TABLE events ADD COLUMN IF NOT EXISTS ${column} ${type} MATERIALIZED JSONExtract(properties, '${p.property}', '${type}')`);
      await t.command(`ALTER TABLE events MATERIALIZE COLUMN ${column} SETTINGS mutations_sync = 2`);
    }
    columns.push({ property: p.property, type: p.type, column });
  }
  return columns;
}
