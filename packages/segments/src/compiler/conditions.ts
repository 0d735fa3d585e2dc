import { churnLevelSql } from '../builtins/churn.js';
import { lifecycleStageSql } from '../builtins/lifecycle.js';
import { rfmTierSql } from '../builtins/rfm.js';
import type {
  Condition,
  EventCondition,
  SequenceCondition,
  StoppedCondition,
  TraitCondition,
} from '../definition/conditions.js';
import { DEFINITION_LIMITS as L } from '../definition/limits.js';
import { durationMs, pathKeys } from '../definition/primitives.js';
import type { SegmentDefinition } from '../definition/segment.js';
import type { SegmentSettings } from '../settings.js';
import { SegmentCompileError } from './errors.js';
import { matcherSql, numericProperty, Partials } from './partials.js';
import { compareJs, compareSql, filterSql, positiveOf, timeSql, windowSql, type SqlContext } from './values.js';

/**
 * What a condition is for a profile with no events in the scan, in Kleene
 * logic: the compiler adds profiles without events to the query only when the
 * definition could hold for them (e.g. "did not top up").
 */
export type Truth = 'true' | 'false' | 'unknown';

export interface CompiledCondition {
  /** A UInt8 expression over the per-profile columns (`pid`, `b<i>`, derived columns). */
  sql: string;
  empty: Truth;
}

const not = (t: Truth): Truth => (t === 'unknown' ? t : t === 'true' ? 'false' : 'true');
const truth = (b: boolean): Truth => (b ? 'true' : 'false');

/** Derived per-profile columns of the built-ins, computed only when a condition uses them. */
export type DerivedColumn = 'lifecycle_stage' | 'rfm_tier' | 'churn_level';

export interface ConditionCompilerOptions {
  ctx: SqlContext;
  settings: SegmentSettings;
  /** The workspace parameter placeholder. */
  ws: string;
  /** Stored definitions of referenced segments. */
  lookup: (segmentId: string) => SegmentDefinition | undefined;
}

export class ConditionCompiler {
  readonly partials = new Partials();
  readonly derived = new Map<DerivedColumn, string>();
  readonly #o: ConditionCompilerOptions;
  #conditions = 0;
  /** Segment ids being inlined (a cycle would revisit one). */
  readonly #inlining: string[] = [];

  constructor(options: ConditionCompilerOptions) {
    this.#o = options;
  }

  /** Conditions combined with `match`, as one expression. */
  group(match: 'and' | 'or', conditions: readonly Condition[], path: Array<string | number>): CompiledCondition {
    const parts = conditions.map((c, i) => this.compile(c, [...path, i]));
    const sql = parts.length === 1 ? (parts[0] as CompiledCondition).sql : parts.map((p) => `(${p.sql})`).join(match === 'and' ? ' AND ' : ' OR ');
    const truths = parts.map((p) => p.empty);
    const empty: Truth =
      match === 'and'
        ? truths.includes('false') ? 'false' : truths.includes('unknown') ? 'unknown' : 'true'
        : truths.includes('true') ? 'true' : truths.includes('unknown') ? 'unknown' : 'false';
    return { sql, empty };
  }

  compile(c: Condition, path: Array<string | number>): CompiledCondition {
    if (++this.#conditions > L.maxInlinedConditions) {
      throw new SegmentCompileError(`the definition, with the segments it uses, has more than ${L.maxInlinedConditions} conditions`, path);
    }
    const { ctx } = this.#o;
    switch (c.type) {
      case 'and':
      case 'or':
        return this.group(c.type, c.conditions, [...path, 'conditions']);
      case 'not': {
        const inner = this.compile(c.condition, [...path, 'condition']);
        return { sql: `NOT (${inner.sql})`, empty: not(inner.empty) };
      }
      case 'trait':
        return this.#trait(c);
      case 'event':
        return this.#event(c);
      case 'first_time': {
        const first = this.partials.time(matcherSql(ctx, c), 'min');
        return { sql: `ifNull(${windowSql(ctx, c.window, first)}, 0)`, empty: 'false' };
      }
      case 'stopped':
        return this.#stopped(c);
      case 'sequence':
        return this.#sequence(c);
      case 'lifecycle':
        return this.#derivedIn('lifecycle_stage', () => lifecycleStageSql(ctx, this.partials, this.#o.settings), c.stage);
      case 'rfm':
        return this.#derivedIn('rfm_tier', () => rfmTierSql(ctx, this.partials, this.#o.settings), c.tier);
      case 'churn_risk':
        return this.#derivedIn('churn_level', () => churnLevelSql(ctx, this.partials, this.#o.settings), c.level);
      case 'segment':
        return this.#segment(c.segmentId, path);
    }
  }

  /**
   * A trait test is a set of profiles read from `profile_traits` (the latest
   * version of the key, not deleted). Negative tests take the complement of the
   * positive set, so a profile without the trait passes them.
   */
  #trait(c: TraitCondition): CompiledCondition {
    const { ctx, ws } = this.#o;
    const [key, ...rest] = pathKeys(c.trait) as [string, ...string[]];
    const { filter, negated } = positiveOf(c);
    // The test (never NULL) runs on every row of the key and only the latest row's outcome is kept: argMax
    // over a UInt8 is much cheaper than carrying each profile's latest value string to HAVING.
    const test = filterSql(ctx, 'value', rest, filter);
    const set = `SELECT profile_key FROM profile_traits WHERE workspace_id = ${ws} AND key = ${ctx.params.bind(key, 'String')} GROUP BY profile_key HAVING argMax(deleted = 0 AND ${test}, version) = 1`;
    return { sql: `pid ${negated ? 'NOT IN' : 'IN'} (${set})`, empty: 'unknown' };
  }

  #event(c: EventCondition): CompiledCondition {
    const { ctx } = this.#o;
    const rows = c.window === undefined ? matcherSql(ctx, c) : `${matcherSql(ctx, c)} AND ${windowSql(ctx, c.window)}`;
    const a = c.aggregate;
    if (a.fn === 'count') {
      return { sql: compareSql(ctx, this.partials.count(rows), c.operator, c.value), empty: truth(compareJs(0, c.operator, c.value)) };
    }
    const value = numericProperty(ctx, c.eventType, a.property, rows);
    if (a.fn === 'sum') {
      const sum = `coalesce(${this.partials.value(rows, value, 'sum')}, 0)`;
      return { sql: compareSql(ctx, sum, c.operator, c.value), empty: truth(compareJs(0, c.operator, c.value)) };
    }
    if (a.fn === 'avg') {
      const n = this.partials.valueCount(rows, value);
      const avg = `if(${n} = 0, NULL, ${this.partials.value(rows, value, 'sum')} / ${n})`;
      return { sql: compareSql(ctx, avg, c.operator, c.value), empty: 'false' };
    }
    return { sql: compareSql(ctx, this.partials.value(rows, value, a.fn), c.operator, c.value), empty: 'false' };
  }

  #stopped(c: StoppedCondition): CompiledCondition {
    const { ctx } = this.#o;
    const m = matcherSql(ctx, c);
    const activeFrom = timeSql(ctx, ctx.nowMs - durationMs(c.activeWithin));
    const inactiveFrom = timeSql(ctx, ctx.nowMs - durationMs(c.inactiveWithin));
    const before = this.partials.count(`${m} AND timestamp >= ${activeFrom} AND timestamp < ${inactiveFrom}`);
    const recent = this.partials.count(`${m} AND timestamp >= ${inactiveFrom}`);
    return { sql: `${before} > 0 AND ${recent} = 0`, empty: 'false' };
  }

  /** ClickHouse `windowFunnel` over the matching events of every id of the profile. */
  #sequence(c: SequenceCondition): CompiledCondition {
    const { ctx } = this.#o;
    const steps = this.partials.steps(
      c.steps.map((s) => matcherSql(ctx, s)),
      c.window === undefined ? undefined : windowSql(ctx, c.window),
    );
    const seconds = ctx.params.bind(Math.ceil(durationMs(c.within) / 1000), 'UInt32');
    const flags = c.steps.map((_, i) => `arrayMap(x_ -> bitTest(x_.2, ${i}), ${steps})`).join(', ');
    const funnel = `arrayReduce(concat('windowFunnel(', toString(${seconds}), ')'), arrayMap(x_ -> x_.1, ${steps}), ${flags})`;
    return { sql: `${funnel} >= ${ctx.params.bind(c.steps.length, 'UInt8')}`, empty: 'false' };
  }

  #derivedIn(column: DerivedColumn, sql: () => string, value: string | readonly string[]): CompiledCondition {
    if (!this.derived.has(column)) this.derived.set(column, sql());
    const values = typeof value === 'string' ? [value] : [...value];
    return { sql: `${column} IN ${this.#o.ctx.params.bind(values, 'Array(String)')}`, empty: 'false' };
  }

  /** Membership of another segment: its conditions are inlined into this query. */
  #segment(segmentId: string, path: Array<string | number>): CompiledCondition {
    const at = [...path, 'segmentId'];
    if (this.#inlining.includes(segmentId)) {
      throw new SegmentCompileError(`segment references form a cycle: ${[...this.#inlining, segmentId].join(' → ')}`, at);
    }
    if (this.#inlining.length >= L.maxReferenceDepth) {
      throw new SegmentCompileError(`segment references nest at most ${L.maxReferenceDepth} deep`, at);
    }
    const definition = this.#o.lookup(segmentId);
    if (definition === undefined) throw new SegmentCompileError(`no segment ${segmentId} in this workspace`, at);
    this.#inlining.push(segmentId);
    try {
      return this.group(definition.match, definition.conditions, at);
    } catch (err) {
      // A problem inside a referenced definition is reported at the reference: that is what the caller can change.
      if (err instanceof SegmentCompileError) throw new SegmentCompileError(err.message, at);
      throw err;
    } finally {
      this.#inlining.pop();
    }
  }
}
