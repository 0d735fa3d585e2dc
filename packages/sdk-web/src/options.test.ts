import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, resolveOptions } from './options.js';
import { SdkError } from './errors.js';

const base = { writeKey: 'wk', host: 'https://cdp.example.com/' };

describe('resolveOptions', () => {
  it('fills every default, trims the host and freezes the result', () => {
    const r = resolveOptions(base);
    expect(r).not.toBeInstanceOf(Error);
    if (r instanceof Error) return;
    expect(r).toMatchObject({ ...DEFAULTS, host: 'https://cdp.example.com', consent: DEFAULTS.consent });
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.consent)).toBe(true);
  });

  it('merges nested consent options over their defaults', () => {
    const r = resolveOptions({ ...base, consent: { model: 'opt-in' }, flushAt: 5 });
    expect(r instanceof Error ? r : r.consent).toEqual({ ...DEFAULTS.consent, model: 'opt-in' });
  });

  it.each([
    [{ host: 'https://x' }, 'writeKey'],
    [{ writeKey: 'k' }, 'host'],
    [{ ...base, host: 'cdp.example.com' }, 'host'],
    [{ ...base, flushAt: 0 }, 'flushAt'],
    [{ ...base, flushInterval: -1 }, 'flushInterval'],
    [{ ...base, maxQueueSize: 1.5 }, 'maxQueueSize'],
    [{ ...base, sessionTimeout: '30m' }, 'sessionTimeout'],
    [{ ...base, flushat: 3 }, 'flushat'],
    [{ ...base, consent: { model: 'implied' } }, 'consent.model'],
    [{ ...base, consent: { categories: ['ok', ''] } }, 'consent.categories'],
    [{ ...base, consent: { honorGpc: 'yes' } }, 'consent.honorGpc'],
    [{ ...base, consent: [] }, 'consent'],
    [{ ...base, plugins: [{ beforeSend: () => null }] }, 'plugins'],
  ])('fails fast on %j, naming %s', (input, path) => {
    const r = resolveOptions(input);
    expect(r).toBeInstanceOf(SdkError);
    if (!(r instanceof SdkError)) return;
    expect(r.code).toBe('invalid_options');
    expect(r.details.path).toBe(path);
    expect(r.message).toContain(path);
  });

  it('rejects a non-object', () => {
    expect(resolveOptions(null)).toBeInstanceOf(SdkError);
  });
});

describe('README', () => {
  const readme = readFileSync(fileURLToPath(new globalThis.URL('../README.md', import.meta.url).href), 'utf8');
  it('documents every option', () => {
    const names = [
      'writeKey',
      'host',
      ...Object.keys(DEFAULTS).filter((k) => k !== 'consent'),
      ...Object.keys(DEFAULTS.consent).map((k) => `consent.${k}`),
    ];
    for (const name of names) expect(readme, name).toContain(`| \`${name}\``);
  });
});
