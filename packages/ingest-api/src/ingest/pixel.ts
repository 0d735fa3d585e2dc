import type { EventType } from '@cdp/protocol';
import { ApiError } from '../http/api-error.js';

/**
 * RudderStack's pixel API: `GET /pixel/v1/track` and `/pixel/v1/page` carry one
 * event in the query string, for places that can load an image but not run a
 * script (email opens, AMP pages). Dotted keys nest (`properties.campaign=x` is
 * `{ properties: { campaign: "x" } }`); every value is a string, as RudderStack
 * stores it.
 */
export const PIXEL_ROUTES: ReadonlyArray<{ url: string; type: EventType }> = [
  { url: '/pixel/v1/track', type: 'track' },
  { url: '/pixel/v1/page', type: 'page' },
];

/** A 1x1 transparent GIF, the answer to a pixel that was stored. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Keys that would reach an object's prototype; a pixel carrying one is refused, not trusted. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

export interface PixelRequest {
  writeKey: string | undefined;
  /** The event as a JSON body would carry it; validated like any other. */
  event: Record<string, unknown>;
}

/**
 * The event a pixel's query string describes. As RudderStack does, `channel`
 * defaults to `web`, and `originalTimestamp`/`sentAt` to the receive time (so
 * two opens of the same email are two events: an event without messageId gets
 * one derived from its content). A repeated key counts once (its first value).
 */
export function pixelEvent(query: unknown, receivedIso: string): PixelRequest {
  const event: Record<string, unknown> = {};
  let writeKey: string | undefined;
  const params = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {};
  for (const name of Object.keys(params)) {
    const raw = params[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value !== 'string') continue;
    if (name === 'writeKey') {
      writeKey = value === '' ? undefined : value;
      continue;
    }
    setPath(event, name, value);
  }
  event['channel'] ??= 'web';
  event['originalTimestamp'] ??= receivedIso;
  event['sentAt'] ??= receivedIso;
  return { writeKey, event };
}

function setPath(target: Record<string, unknown>, name: string, value: string): void {
  const segments = name.split('.');
  let node = target;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === '' || FORBIDDEN.has(segment)) {
      throw new ApiError('invalid_request', { message: `Query parameter "${name}": "${segment}" is not a usable key.`, path: name });
    }
    if (i === segments.length - 1) {
      if (Object.hasOwn(node, segment)) throw conflict(name);
      node[segment] = value;
      return;
    }
    // Own keys only: `properties.toString=x` is a property named toString, not Object.prototype's.
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (next === undefined) node = node[segment] = {} as Record<string, unknown>;
    else if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
    else throw conflict(name);
  }
}

function conflict(name: string): ApiError {
  return new ApiError('invalid_request', {
    message: `Query parameter "${name}" conflicts with another one (a value and nested keys under the same name).`,
    path: name,
  });
}
