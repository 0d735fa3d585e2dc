import type { EventContext } from '@cdp/protocol';
import type { PendingEvent } from './check.js';
import { SDK_NAME, SDK_VERSION } from './version.js';

const LIBRARY = Object.freeze({ name: SDK_NAME, version: SDK_VERSION });

/** `context` as sent: the caller's, plus `library` and the consent shorthand. The caller's object is not changed. */
function wireContext(e: PendingEvent): EventContext {
  const context: EventContext = e.context === undefined ? { library: LIBRARY } : { ...e.context, library: LIBRARY };
  if (e.consent !== undefined) context.consent = { ...e.context?.consent, categoryPreferences: e.consent };
  return context;
}

/**
 * Serializes one event, once, when its batch is built. Fields left undefined are
 * omitted by JSON.stringify. Throws what JSON.stringify throws (cycles, BigInt).
 */
export function serializeEvent(e: PendingEvent, messageId: string): string {
  const timestamp = e.timestamp ?? new Date(e.time).toISOString();
  const context = wireContext(e);
  const { userId, anonymousId, integrations } = e;
  switch (e.type) {
    case 'track':
      return JSON.stringify({ type: 'track', event: e.name, properties: e.payload, userId, anonymousId, messageId, timestamp, context, integrations });
    case 'identify':
      return JSON.stringify({ type: 'identify', traits: e.payload, userId, anonymousId, messageId, timestamp, context, integrations });
    case 'page':
    case 'screen':
      return JSON.stringify({ type: e.type, name: e.name, category: e.category, properties: e.payload, userId, anonymousId, messageId, timestamp, context, integrations });
    case 'group':
      return JSON.stringify({ type: 'group', groupId: e.targetId, traits: e.payload, userId, anonymousId, messageId, timestamp, context, integrations });
    case 'alias':
      return JSON.stringify({ type: 'alias', previousId: e.targetId, userId, anonymousId, messageId, timestamp, context, integrations });
  }
}

/** The batch envelope around already serialized events: `{"batch":[...],"writeKey":...,"sentAt":...}`. */
export class Envelope {
  readonly #suffix: string;
  /** Bytes the envelope adds around the events (sentAt has a fixed length). */
  readonly overheadBytes: number;

  constructor(writeKey: string) {
    this.#suffix = `],"writeKey":${JSON.stringify(writeKey)},"sentAt":"`;
    this.overheadBytes = Buffer.byteLength(this.wrap('', new Date(0)));
  }

  wrap(events: string, sentAt: Date): string {
    return `{"batch":[${events}${this.#suffix}${sentAt.toISOString()}"}`;
  }
}
