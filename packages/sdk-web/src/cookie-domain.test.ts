import { describe, expect, it } from 'vitest';
import { JSDOM } from 'jsdom';
import { findCookieDomain } from './cookie-domain.js';

// jsdom's cookie jar applies the browser rules (domain matching, public suffix list).
const domainFor = (url: string) => {
  const { window } = new JSDOM('', { url });
  const domain = findCookieDomain(window.document, window.location.hostname);
  return { domain, leftovers: window.document.cookie };
};

describe('findCookieDomain', () => {
  it.each([
    ['https://www.shop.example.co.uk/', 'example.co.uk'],
    ['https://a.b.example.com/', 'example.com'],
    ['https://example.com/', 'example.com'],
    ['http://a.shop.test/', 'shop.test'],
    // github.io is a public suffix (private section): each user site is its own site.
    ['https://user.github.io/', 'user.github.io'],
    ['https://deep.user.github.io/', 'user.github.io'],
  ])('%s -> %s (top-most settable, skipping public suffixes)', (url, expected) => {
    const { domain, leftovers } = domainFor(url);
    expect(domain).toBe(expected);
    expect(leftovers).toBe('');
  });

  it.each(['http://localhost/', 'http://127.0.0.1/', 'http://[::1]/'])('%s -> host-only cookies', (url) => {
    expect(domainFor(url).domain).toBeUndefined();
  });
});
