import { readFileSync } from 'node:fs';
import { compileSegment, computedTraitDefinitionSchema, segmentDefinitionSchema } from '@cdp/segments';
import { describe, expect, it } from 'vitest';

/** The README's examples are real: definitions validate, and the SQL shown is what the compiler produces. */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('\n## Segments and computed traits\n');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const blocks = (lang: string) => [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

describe('README: segments', () => {
  it('shows definitions that validate', () => {
    const definitions = blocks('json').filter((b) => b.includes('"conditions"'));
    expect(definitions.length).toBeGreaterThanOrEqual(2);
    for (const d of definitions) expect(segmentDefinitionSchema.safeParse(JSON.parse(d)).success, d).toBe(true);
    const bodies = blocks('sh').flatMap((b) => [...b.matchAll(/-d '(\{[\s\S]*?\})'/g)].map((m) => JSON.parse(m[1] as string) as Record<string, unknown>));
    expect(bodies).toHaveLength(2);
    expect(segmentDefinitionSchema.safeParse(bodies[0]?.['definition']).success).toBe(true);
    expect(computedTraitDefinitionSchema.safeParse(bodies[1]?.['definition']).success).toBe(true);
  });

  it('shows the SQL the compiler generates for the first example', () => {
    const definition = segmentDefinitionSchema.parse({
      conditions: [
        { type: 'lifecycle', stage: 'new' },
        { type: 'event', event: 'Top Up Completed', operator: 'gte', value: 2, window: { last: '7d' } },
        { type: 'trait', trait: 'kyc_status', operator: 'eq', value: 'verified' },
      ],
    });
    const q = compileSegment({ definition, workspaceId: 'ws_demo', now: Date.UTC(2026, 10, 23, 12) });
    const [shown] = blocks('sql');
    expect(shown?.slice(0, shown.indexOf('-- params:')).trimEnd()).toBe(q.sql);
    const params = (shown ?? '').slice((shown ?? '').indexOf('-- params:') + 10).replace(/\n--\s*/g, '');
    expect(JSON.parse(params)).toEqual(q.params);
  });
});
