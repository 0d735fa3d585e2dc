import { isPlainObject } from '@cdp/protocol';
import type { ConsentRule } from './settings.js';

/**
 * What an event says about consent, from either wire shape:
 * - Segment (and our SDKs): `context.consent.categoryPreferences = { <category>: boolean }`;
 * - RudderStack: `context.consentManagement = { provider, allowedConsentIds, deniedConsentIds }`.
 * `undefined` when the event carries neither.
 */
export interface ConsentState {
  granted: ReadonlySet<string>;
  denied: ReadonlySet<string>;
}

export function consentState(context: Record<string, unknown>): ConsentState | undefined {
  const consent = context['consent'];
  const management = context['consentManagement'];
  const hasSegment = isPlainObject(consent) && consent['categoryPreferences'] !== undefined;
  const hasRudder = management !== undefined && management !== null;
  if (!hasSegment && !hasRudder) return undefined;
  const granted = new Set<string>();
  const denied = new Set<string>();
  if (hasSegment) {
    const prefs = (consent as Record<string, unknown>)['categoryPreferences'];
    // A malformed preference object still means a consent manager ran: nothing in it is granted.
    if (isPlainObject(prefs)) {
      for (const [k, v] of Object.entries(prefs)) (v === true ? granted : denied).add(k);
    }
  }
  if (hasRudder && isPlainObject(management)) {
    for (const id of strings(management['allowedConsentIds'])) granted.add(id);
    for (const id of strings(management['deniedConsentIds'])) denied.add(id);
  }
  return { granted, denied };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The categories the rules require for an event of this type and name (track event, page/screen name). */
export function requiredCategories(rules: readonly ConsentRule[], type: string, name: string | undefined): Set<string> {
  const required = new Set<string>();
  for (const rule of rules) {
    if (rule.types !== undefined && !rule.types.includes(type as never)) continue;
    if (rule.events !== undefined && (name === undefined || !rule.events.includes(name))) continue;
    for (const c of rule.categories) required.add(c);
  }
  return required;
}

/**
 * True when every required category is granted. An explicit denial in either
 * shape wins; a category the consent information does not mention is not
 * granted (a consent manager lists what the user accepted). With no consent
 * information at all, `whenMissing` decides.
 */
export function consentGranted(required: ReadonlySet<string>, state: ConsentState | undefined, whenMissing: 'grant' | 'deny'): boolean {
  if (required.size === 0) return true;
  if (state === undefined) return whenMissing === 'grant';
  for (const c of required) if (!state.granted.has(c) || state.denied.has(c)) return false;
  return true;
}
