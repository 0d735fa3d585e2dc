/**
 * One function per call, each building its event type on the core. Kept apart
 * from the core so that a bundler drops the calls a page never makes.
 */
import { pageProperties } from './context.js';
import { isProps, type Core } from './core.js';
import { isId } from './guards.js';
import type { EventOptions, Properties } from './types.js';

export function track(c: Core, event: string, properties?: Properties, options?: EventOptions): void {
  if (!isId(event)) return c.invalid('track: event must be a non-empty string', 'event');
  if (!isProps(properties)) return c.invalid('track: properties must be an object', 'properties');
  c.emit({ type: 'track', event, properties: properties ?? {} }, options);
}

export function identify(c: Core, userId?: string | null, traits?: Properties, options?: EventOptions): void {
  if (userId != null && !isId(userId)) return c.invalid('identify: userId must be a non-empty string', 'userId');
  if (!isProps(traits)) return c.invalid('identify: traits must be an object', 'traits');
  c.identity.identify(userId ?? undefined, traits);
  c.emit({ type: 'identify', traits: c.identity.traits() }, options);
}

export function page(c: Core, name?: string | null, properties?: Properties, options?: EventOptions): void {
  if (!isProps(properties)) return c.invalid('page: properties must be an object', 'properties');
  c.emit({ type: 'page', ...(name != null && { name }), properties: { ...pageProperties(), ...properties } }, options);
}

export function group(c: Core, groupId: string, traits?: Properties, options?: EventOptions): void {
  if (!isId(groupId)) return c.invalid('group: groupId must be a non-empty string', 'groupId');
  if (!isProps(traits)) return c.invalid('group: traits must be an object', 'traits');
  c.emit({ type: 'group', groupId, traits: traits ?? {} }, options);
}

/** Links the current identity (user id, else anonymous id) to `newId`; the stored ids do not change (Segment semantics). */
export function alias(c: Core, newId: string, options?: EventOptions): void {
  if (!isId(newId)) return c.invalid('alias: newId must be a non-empty string', 'newId');
  c.emit({ type: 'alias', previousId: c.identity.userId() ?? c.identity.anonymousId(), userId: newId }, options);
}
