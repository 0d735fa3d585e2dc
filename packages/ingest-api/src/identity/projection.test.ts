import { resolveIdentityConfig, toResolveInput } from '@cdp/identity-resolution';
import { validateEvent } from '@cdp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identityProjection, projectedEvent } from './projection.js';

/**
 * The spool header carries only the identity projection of an event; the
 * flusher resolves from it. Resolution must see exactly what it would see in
 * the whole event: same identifiers, same drops, same previousId, same traits.
 */
const text = fc.oneof(
  fc.constantFrom('', ' ', 'null', 'undefined', '0', 'anonymous', 'test@example.com', 'Ana@Example.COM', '+86 139 1234 5678', '13912345678'),
  fc.string({ maxLength: 12 }),
  fc.uuid().map((u) => u.toUpperCase()),
);
const loose = fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean());
const traits = fc.dictionary(fc.constantFrom('email', 'phone', 'plan', 'name', 'userId'), loose, { maxKeys: 4 });
const externalIds = fc.array(
  fc.record(
    { id: loose, type: fc.constantFrom('wechat_openid', 'wechat_unionid', 'email', 'shoe_size', ''), collection: fc.constantFrom('users', 'accounts') },
    { requiredKeys: [] },
  ),
  { maxLength: 3 },
);
const context = fc.record(
  {
    traits,
    device: fc.record({ id: loose, model: fc.constant('Pixel') }, { requiredKeys: [] }),
    externalIds,
    locale: fc.constant('de-DE'),
  },
  { requiredKeys: [] },
);
const rawEvent = fc.record(
  {
    type: fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias'),
    userId: text,
    anonymousId: text,
    previousId: text,
    groupId: fc.constant('g-1'),
    event: fc.constant('Transfer Sent'),
    traits,
    context,
  },
  { requiredKeys: ['type'] },
);

describe('identity projection', () => {
  const config = resolveIdentityConfig({});

  it('resolves from the projection exactly as from the whole event', () => {
    let checked = 0;
    fc.assert(
      fc.property(rawEvent, (raw) => {
        const validated = validateEvent({ messageId: 'm-1', timestamp: '2026-01-01T00:00:00.000Z', ...raw });
        fc.pre(validated.ok);
        if (!validated.ok) return;
        const event = validated.event;
        const whole = toResolveInput({ ...event, messageId: 'm-1', timestamp: 1 }, config);
        const projection = identityProjection(event, event.context ?? {});
        // Through the spool header: JSON text and back.
        const header = JSON.parse(JSON.stringify(projection)) as typeof projection;
        const fromHeader = toResolveInput(projectedEvent({ type: event.type, messageId: 'm-1', timestamp: 1, projection: header }), config);
        expect(fromHeader).toEqual(whole);
        checked++;
      }),
      { numRuns: 2_000 },
    );
    // Most generated events are valid; the property must not pass vacuously.
    expect(checked).toBeGreaterThan(1_000);
  });
});
