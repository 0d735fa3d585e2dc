import type { ResolvableEvent } from '@cdp/identity-resolution';
import type { Event, EventContext } from '@cdp/protocol';

/**
 * The part of an event identity resolution reads, carried in the spool header
 * so the flusher resolves without parsing the row. It must hold exactly the
 * fields `extractIdentifiers` and trait folding look at (a property test checks
 * that extraction from the projection equals extraction from the whole event).
 * Values are kept as sent: normalization happens at flush time, under the
 * workspace's configuration of that moment.
 */
export interface IdentityProjection {
  /** userId */
  u?: string;
  /** anonymousId */
  a?: string;
  /** previousId (alias) */
  p?: string;
  /** identify/group traits */
  t?: Record<string, unknown>;
  /** context.traits.email / .phone, context.device.id, context.externalIds */
  c?: {
    traits?: { email?: unknown; phone?: unknown };
    device?: { id?: unknown };
    externalIds?: unknown;
  };
}

export function identityProjection(event: Event, context: EventContext): IdentityProjection {
  const out: IdentityProjection = {};
  if (event.userId !== undefined) out.u = event.userId;
  if (event.anonymousId !== undefined) out.a = event.anonymousId;
  if (event.type === 'alias') out.p = event.previousId;
  if ((event.type === 'identify' || event.type === 'group') && event.traits !== undefined) out.t = event.traits;
  const c: NonNullable<IdentityProjection['c']> = {};
  const traits = context.traits;
  if (traits !== undefined && traits !== null && typeof traits === 'object') {
    const t: { email?: unknown; phone?: unknown } = {};
    if (traits['email'] !== undefined) t.email = traits['email'];
    if (traits['phone'] !== undefined) t.phone = traits['phone'];
    if (t.email !== undefined || t.phone !== undefined) c.traits = t;
  }
  const device = context.device as unknown;
  if (device !== null && typeof device === 'object' && (device as { id?: unknown }).id !== undefined) {
    c.device = { id: (device as { id?: unknown }).id };
  }
  if (context.externalIds !== undefined) c.externalIds = context.externalIds;
  if (c.traits !== undefined || c.device !== undefined || c.externalIds !== undefined) out.c = c;
  return out;
}

/** The structural event identity resolution takes, rebuilt from a projection (built field by field: once per event). */
export function projectedEvent(record: {
  type: string;
  messageId: string;
  timestamp: number;
  projection: IdentityProjection;
}): ResolvableEvent {
  const p = record.projection;
  const event: { -readonly [K in keyof ResolvableEvent]: ResolvableEvent[K] } = { type: record.type, messageId: record.messageId, timestamp: record.timestamp };
  if (p.u !== undefined) event.userId = p.u;
  if (p.a !== undefined) event.anonymousId = p.a;
  if (p.p !== undefined) event.previousId = p.p;
  if (p.t !== undefined) event.traits = p.t;
  if (p.c !== undefined) event.context = p.c;
  return event;
}
