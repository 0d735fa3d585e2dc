import { describe, expect, it } from 'vitest';
import { consentGranted, consentState, requiredCategories } from './consent.js';
import type { ConsentRule } from './settings.js';

const rules: ConsentRule[] = [
  { types: ['track'], events: ['Ad Clicked'], categories: ['Advertising'] },
  { types: ['track', 'page'], categories: ['Analytics'] },
  { categories: ['Necessary'] },
];

describe('requiredCategories', () => {
  it('unions the categories of every rule matching the type and name', () => {
    expect([...requiredCategories(rules, 'track', 'Ad Clicked')].sort()).toEqual(['Advertising', 'Analytics', 'Necessary']);
    expect([...requiredCategories(rules, 'track', 'Transfer Sent')].sort()).toEqual(['Analytics', 'Necessary']);
    expect([...requiredCategories(rules, 'identify', undefined)]).toEqual(['Necessary']);
  });
});

describe('consentState', () => {
  it('reads Segment categoryPreferences', () => {
    const s = consentState({ consent: { categoryPreferences: { Analytics: true, Advertising: false } } });
    expect(s && [...s.granted]).toEqual(['Analytics']);
    expect(s && [...s.denied]).toEqual(['Advertising']);
  });

  it('reads RudderStack consentManagement', () => {
    const s = consentState({ consentManagement: { provider: 'oneTrust', allowedConsentIds: ['C0001', 7], deniedConsentIds: ['C0004'] } });
    expect(s && [...s.granted]).toEqual(['C0001']);
    expect(s && [...s.denied]).toEqual(['C0004']);
  });

  it('is undefined without consent information, and empty (nothing granted) when it is malformed', () => {
    expect(consentState({ ip: '1.1.1.1', consent: {} })).toBeUndefined();
    const malformed = consentState({ consent: { categoryPreferences: 'yes' } });
    expect(malformed && malformed.granted.size).toBe(0);
  });
});

describe('consentGranted', () => {
  const need = new Set(['Analytics', 'Advertising']);
  it('needs every required category granted and none denied in either shape', () => {
    const both = consentState({
      consent: { categoryPreferences: { Analytics: true, Advertising: true } },
      consentManagement: { allowedConsentIds: ['Analytics'], deniedConsentIds: ['Advertising'] },
    });
    expect(consentGranted(need, both, 'deny')).toBe(false);
    expect(consentGranted(need, consentState({ consent: { categoryPreferences: { Analytics: true } } }), 'grant')).toBe(false);
    expect(consentGranted(need, consentState({ consentManagement: { allowedConsentIds: ['Analytics', 'Advertising'] } }), 'deny')).toBe(true);
  });

  it('lets whenMissing decide only when the event carries no consent information', () => {
    expect(consentGranted(need, undefined, 'grant')).toBe(true);
    expect(consentGranted(need, undefined, 'deny')).toBe(false);
    expect(consentGranted(new Set(), undefined, 'deny')).toBe(true);
  });
});
