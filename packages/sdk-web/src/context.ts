import type { SdkContext } from './types.js';
import { LIBRARY_NAME, VERSION } from './version.js';

const UTM = ['source', 'medium', 'term', 'content'] as const;

/** Page properties as Segment's `page` call sends them. */
export function pageProperties(): SdkContext['page'] {
  return {
    path: location.pathname,
    referrer: document.referrer,
    search: location.search,
    title: document.title,
    url: location.href,
  };
}

/** `utm_*` parameters of the current URL, as Segment's `context.campaign`. */
export function campaign(search: string): SdkContext['campaign'] {
  const params = new URLSearchParams(search);
  const out: Record<string, string> = {};
  const name = params.get('utm_campaign');
  if (name) out['name'] = name;
  for (const key of UTM) {
    const value = params.get(`utm_${key}`);
    if (value) out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Context read from the browser at the time of the call. */
export function pageContext(): Omit<SdkContext, 'sessionId' | 'consent'> {
  const page = pageProperties();
  const utm = campaign(page.search);
  return {
    library: { name: LIBRARY_NAME, version: VERSION },
    page,
    ...(utm && { campaign: utm }),
    userAgent: navigator.userAgent,
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
  };
}
