const PROBE = 'cdp_probe';

/**
 * The top-most domain the browser lets this page set a cookie on, so that ids
 * are shared by every subdomain of the site. Tries from the top down
 * (`co.uk`, then `example.co.uk`, ...): the browser refuses public suffixes,
 * so the first domain that takes the probe cookie is the site's registrable
 * domain, with no public-suffix list shipped in the bundle.
 * Returns undefined (host-only cookies) for IP addresses, single-label hosts
 * such as `localhost`, or when no domain takes the cookie.
 */
export function findCookieDomain(doc: Document, hostname: string, attributes = ''): string | undefined {
  if (!hostname.includes('.') || /^[\d.]+$|:/.test(hostname)) return undefined;
  const labels = hostname.split('.');
  for (let i = labels.length - 2; i >= 0; i--) {
    const domain = labels.slice(i).join('.');
    const base = `${PROBE}=; path=/; domain=${domain}${attributes}`;
    doc.cookie = `${PROBE}=1${base.slice(PROBE.length + 1)}`;
    const ok = doc.cookie.includes(`${PROBE}=1`);
    doc.cookie = `${base}; max-age=0`;
    if (ok) return domain;
  }
  return undefined;
}
