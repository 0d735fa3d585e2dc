import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '@cdp/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from './config/options.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const envSource = readFileSync(new URL('./config/env.ts', import.meta.url), 'utf8');

describe('README', () => {
  it.each(Object.entries(ERROR_CODES))('documents error code %s with its status', (code, { status }) => {
    expect(readme).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
  });

  it('documents every environment variable the CLI reads', () => {
    const vars = [...envSource.matchAll(/(?:num|str|bool|list)\('([A-Z_]+)'\)/g)].map((m) => m[1]);
    expect(vars.length).toBeGreaterThan(15);
    for (const v of vars) expect(readme).toContain(`\`${v}\``);
  });

  it('documents every option', () => {
    const paths = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? paths(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
      );
    for (const p of paths(DEFAULT_OPTIONS)) expect(readme).toContain(p.split('.').pop() as string);
  });
});
