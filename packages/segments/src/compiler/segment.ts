import type { SegmentDefinition } from '../definition/segment.js';
import { resolveSegmentSettings, type SegmentSettings } from '../settings.js';
import { ConditionCompiler } from './conditions.js';
import { SOURCES } from './partials.js';
import { Params } from './params.js';
import { profileKey, sqlContext, type PropertyColumn } from './values.js';

/** SQL with `{name:Type}` placeholders and the values to bind. */
export interface CompiledQuery {
  sql: string;
  params: Record<string, unknown>;
}

export interface CompileSegmentOptions {
  definition: SegmentDefinition;
  workspaceId: string;
  /** The time the query answers for, epoch ms (relative windows end here). */
  now: number;
  /** Resolved built-in settings; default `resolveSegmentSettings()`. */
  settings?: SegmentSettings;
  /** Definitions of the segments it refers to (inlined into the query). */
  lookup?: (segmentId: string) => SegmentDefinition | undefined;
  /** Typed property columns of `events` to read instead of parsing `properties` (see `PropertyColumn`); none by default. */
  propertyColumns?: readonly PropertyColumn[];
}

/**
 * Compiles a definition to ONE query returning the members' profile ids
 * (column `pid`, surviving profiles only). Shape, inside out:
 *
 * 1. one scan of `events` of the workspace, grouped by the stored profile id
 *    (the profile at ingestion, as the UUID `profile_key`: every per-profile
 *    key of the query is a UUID, see `profileKey`), computing every aggregate
 *    any condition needs — and, for first/last activity by event type
 *    (lifecycle, churn recency), the rows of `profile_activity`, the same per
 *    stored profile but kept at insert (~2 rows a profile, not grouped here);
 * 2. those rows mapped to the surviving profile through `profile_aliases`
 *    (a hash join on the live alias map) and merged per survivor, so events
 *    stored under merged-away ids count for the survivor — plus, only when the
 *    definition can hold for a profile without events, every profile of
 *    `profiles` with empty aggregates;
 * 3. the built-ins' per-profile values (lifecycle stage, RFM tier with live
 *    workspace medians, churn level);
 * 4. the conditions: aggregate comparisons, built-in values, and trait tests
 *    as `pid IN (set from profile_traits)`; retired profiles are excluded.
 *
 * Every literal is a bound parameter.
 */
export function compileSegment(options: CompileSegmentOptions): CompiledQuery {
  const params = new Params();
  const ws = params.named('ws', options.workspaceId, 'String');
  const ctx = sqlContext(params, options.now, options.propertyColumns);
  const compiler = new ConditionCompiler({
    ctx,
    settings: options.settings ?? resolveSegmentSettings(),
    ws,
    lookup: options.lookup ?? (() => undefined),
  });
  const { definition } = options;
  const where = compiler.group(definition.match, definition.conditions, ['conditions']);
  const { partials, derived } = compiler;
  const withEmptyProfiles = where.empty !== 'false' || partials.size === 0;

  const sources: string[] = [];
  for (const source of partials.sources()) {
    const scan = SOURCES[source];
    sources.push(
      [
        `SELECT profile_key AS sid,`,
        indent(partials.scanColumns(source).join(',\n'), 2),
        `FROM ${scan.table}`,
        `WHERE workspace_id = ${ws}${scan.where === '' ? '' : ` AND ${scan.where}`}`,
        `  AND (${partials.rowFilter(source)})`,
        ...(scan.grouped ? [`GROUP BY sid`] : []),
      ].join('\n'),
    );
  }
  if (withEmptyProfiles) {
    const neutral = partials.neutralColumns();
    sources.push(`SELECT ${profileKey('profile_id')} AS sid${neutral.map((c) => `, ${c}`).join('')}\nFROM profiles\nWHERE workspace_id = ${ws}`);
  }
  // Stored ids that were merged away are mapped to their survivor with a hash join on the live
  // alias map (measured faster than transform() over the same arrays; see the bench README). The map
  // is read with FINAL: each id's row of the highest version, as argMax over its rows, since versions
  // never tie (identity rows.ts); `deleted` is not in the sorting key, so it is tested after the
  // merge. Half the time of GROUP BY + argMax (~50 ms per segment on the bench's 184 k merged ids).
  const merged = [
    `SELECT if(empty(alias.survivor), src.sid, alias.survivor) AS pid${partials.mergeColumns().map((c) => `,\n  ${c}`).join('')}`,
    `FROM (`,
    indent(sources.join('\nUNION ALL\n'), 1),
    `) AS src`,
    `LEFT JOIN (`,
    `  SELECT ${profileKey('profile_id')} AS merged_id, ${profileKey('canonical_id')} AS survivor FROM profile_aliases FINAL`,
    `  WHERE workspace_id = ${ws} AND deleted = 0`,
    `) AS alias ON alias.merged_id = src.sid`,
    `GROUP BY pid`,
  ].join('\n');
  const perProfile =
    derived.size === 0
      ? merged
      : [`SELECT *${[...derived].map(([name, sql]) => `,\n  ${sql} AS ${name}`).join('')}`, `FROM (`, indent(merged, 1), `)`].join('\n');

  const retired = [
    `SELECT ${profileKey('profile_id')} FROM profiles`,
    `WHERE workspace_id = ${ws} AND profile_id IN (SELECT profile_id FROM profiles WHERE workspace_id = ${ws} AND deleted = 1)`,
    `GROUP BY profile_id HAVING argMax(deleted, version) = 1`,
  ].join('\n');
  const members = [
    `SELECT pid FROM (`,
    indent(perProfile, 1),
    `)`,
    `WHERE (${where.sql})`,
    `  AND pid NOT IN (`,
    indent(retired, 2),
    `  )`,
  ].join('\n');
  // Ids leave as strings (UUID order is not string order, and callers page by string).
  const sql = `SELECT toString(pid) AS pid FROM (\n${indent(members, 1)}\n)`;
  return { sql, params: params.values };
}

function indent(text: string, levels: number): string {
  const pad = '  '.repeat(levels);
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}

/** The number of members: one row `{ members }`. */
export function segmentCountQuery(q: CompiledQuery): CompiledQuery {
  return { sql: `SELECT count() AS members FROM (\n${q.sql}\n)`, params: q.params };
}

/** A page of member ids after `after` (exclusive, '' = from the start), in id order. */
export function segmentPageQuery(q: CompiledQuery, page: { after: string; limit: number }): CompiledQuery {
  return {
    sql: `SELECT pid FROM (\n${q.sql}\n)\nWHERE pid > {page_after:String}\nORDER BY pid\nLIMIT {page_limit:UInt32}`,
    params: { ...q.params, page_after: page.after, page_limit: page.limit },
  };
}

/** The first `limit` member ids with the total count on every row (`members`), in one evaluation. */
export function segmentSampleQuery(q: CompiledQuery, limit: number): CompiledQuery {
  return {
    sql: `SELECT pid, count() OVER () AS members FROM (\n${q.sql}\n)\nORDER BY pid\nLIMIT {page_limit:UInt32}`,
    params: { ...q.params, page_limit: limit },
  };
}

/** Every member id in id order (for exports). */
export function segmentMembersQuery(q: CompiledQuery): CompiledQuery {
  return { sql: `SELECT pid FROM (\n${q.sql}\n)\nORDER BY pid`, params: q.params };
}
