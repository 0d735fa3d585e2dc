import type { ComputedTraitDefinition } from '../definition/computed-trait.js';
import { pathKeys } from '../definition/primitives.js';
import { Params } from './params.js';
import { jsonColumn, matcherSql, numericProperty } from './partials.js';
import type { CompiledQuery } from './segment.js';
import { sqlContext, windowSql, type PropertyColumn } from './values.js';

export interface ComputedTraitSpec {
  name: string;
  definition: ComputedTraitDefinition;
}

/**
 * One query computing every given computed trait for one profile, over the
 * events stored under any of its ids (`profileIds`: the survivor and the ids
 * merged into it). It returns one row with a column `ct<i>` per trait; decode
 * it with `decodeComputedTraits`.
 */
export function compileComputedTraits(options: {
  traits: readonly ComputedTraitSpec[];
  workspaceId: string;
  profileIds: readonly string[];
  now: number;
  /** Typed property columns of `events` (see `PropertyColumn`); none by default. */
  propertyColumns?: readonly PropertyColumn[];
}): CompiledQuery {
  const params = new Params();
  const ctx = sqlContext(params, options.now, options.propertyColumns);
  const ws = params.named('ws', options.workspaceId, 'String');
  const ids = params.named('ids', [...options.profileIds], 'Array(String)');
  const columns = options.traits.map(({ definition: d }, i) => {
    const rows = d.window === undefined ? matcherSql(ctx, d) : `${matcherSql(ctx, d)} AND ${windowSql(ctx, d.window)}`;
    const raw = () => {
      const keys = pathKeys((d as { property: string | string[] }).property).map((k) => params.bind(k, 'String'));
      return `JSONExtractRaw(${[jsonColumn(d.eventType), ...keys].join(', ')})`;
    };
    const present = (r: string) => `${rows} AND ${r} NOT IN ('', 'null')`;
    switch (d.kind) {
      case 'count':
        return `countIf(${rows}) AS ct${i}`;
      case 'first_seen':
        return `toString(min(if(${rows}, timestamp, NULL))) AS ct${i}`;
      case 'last_seen':
        return `toString(max(if(${rows}, timestamp, NULL))) AS ct${i}`;
      case 'sum':
        return `coalesce(sum(if(${rows}, ${numericProperty(ctx, d.eventType, d.property, rows)}, NULL)), 0) AS ct${i}`;
      case 'avg':
      case 'min':
      case 'max':
        return `${d.kind}(if(${rows}, ${numericProperty(ctx, d.eventType, d.property, rows)}, NULL)) AS ct${i}`;
      case 'most_frequent': {
        const r = raw();
        // sumMap sorts its keys: among equal counts, indexOf finds the alphabetically first.
        return `sumMapIf([${r}], [toUInt64(1)], ${present(r)}) AS ct${i}_m, if(empty(ct${i}_m.1), '', ct${i}_m.1[indexOf(ct${i}_m.2, arrayMax(ct${i}_m.2))]) AS ct${i}`;
      }
      case 'first':
      case 'last': {
        const r = raw();
        return `${d.kind === 'first' ? 'argMinIf' : 'argMaxIf'}(${r}, (timestamp, message_id), ${present(r)}) AS ct${i}`;
      }
      case 'unique_list': {
        const r = raw();
        return `arraySlice(arraySort(groupUniqArrayIf(${r}, ${present(r)})), 1, ${params.bind(d.limit, 'UInt32')}) AS ct${i}`;
      }
      case 'unique_count': {
        const r = raw();
        return `uniqExactIf(${r}, ${present(r)}) AS ct${i}`;
      }
    }
  });
  const sql = `SELECT ${columns.length === 0 ? '1 AS none' : columns.join(',\n  ')}\nFROM events\nWHERE workspace_id = ${ws} AND profile_id IN ${ids}`;
  return { sql, params: params.values };
}

const parseRaw = (text: string): unknown => (text === '' ? null : (JSON.parse(text) as unknown));
const chTimeToIso = (v: string): string | null => (v === '' || v === '\\N' ? null : `${v.slice(0, 10)}T${v.slice(11)}Z`);

/** The trait values of the row `compileComputedTraits` returns, keyed by name. */
export function decodeComputedTraits(traits: readonly ComputedTraitSpec[], row: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  traits.forEach(({ name, definition }, i) => {
    const v = row?.[`ct${i}`];
    switch (definition.kind) {
      case 'count':
      case 'unique_count':
        out[name] = Number(v ?? 0);
        break;
      case 'sum':
      case 'avg':
      case 'min':
      case 'max':
        out[name] = v === null || v === undefined ? null : Number(v);
        break;
      case 'first_seen':
      case 'last_seen':
        out[name] = typeof v === 'string' ? chTimeToIso(v) : null;
        break;
      case 'most_frequent':
      case 'first':
      case 'last':
        out[name] = typeof v === 'string' ? parseRaw(v) : null;
        break;
      case 'unique_list':
        out[name] = Array.isArray(v) ? v.map((x) => parseRaw(String(x))) : [];
        break;
    }
  });
  return out;
}
