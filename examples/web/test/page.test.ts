import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loaderSnippet } from '@cdp/sdk-web/snippet';

describe('example page', () => {
  it('loads the SDK with the published loader snippet', () => {
    const html = readFileSync(new URL('../index.html', import.meta.url), 'utf8');
    expect(html).toContain(loaderSnippet({ src: '/cdp.global.js' }));
  });
});
