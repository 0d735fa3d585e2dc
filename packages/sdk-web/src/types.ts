import type { EventContext, EventType, JsonObject } from '@cdp/protocol';

/** Free-form properties and traits: any JSON object. */
export type Properties = JsonObject;

/** The context every event carries (Segment's shape), as this SDK fills it. */
export interface SdkContext extends EventContext {
  library: { name: string; version: string };
  page: { path: string; referrer: string; search: string; title: string; url: string };
  userAgent: string;
  locale: string;
  timezone: string;
  screen: { width: number; height: number; density: number };
  sessionId: number;
  consent: { categoryPreferences: Record<string, boolean> };
}

/** An event as it goes on the wire (Segment spec); plugins see and may change it. */
export interface SdkEvent {
  type: EventType;
  messageId: string;
  /** ISO 8601, set when the call was made (not when the event is sent). */
  timestamp: string;
  anonymousId: string;
  userId?: string;
  /** track */
  event?: string;
  /** page */
  name?: string;
  properties?: Properties;
  /** identify, group */
  traits?: Properties;
  groupId?: string;
  /** alias */
  previousId?: string;
  context: SdkContext;
  integrations?: JsonObject;
}

/** Per-call options, the last argument of every call. */
export interface EventOptions {
  /** Consent category the event needs (default: `consent.defaultCategory`, i.e. `analytics`). */
  category?: string;
  /** When the event happened (default: now). */
  timestamp?: Date;
  /** Merged over the context the SDK fills. */
  context?: JsonObject;
  /** Segment `integrations` object, sent as is. */
  integrations?: JsonObject;
}

export interface Plugin {
  name: string;
  /**
   * Runs on every event once consent allows it, before it is queued: return the
   * (possibly changed) event, or `null` to drop it. A plugin that throws drops
   * the event (fail closed, so a redaction plugin cannot be bypassed).
   */
  beforeSend?: (event: SdkEvent) => SdkEvent | null;
}

/** Consent as the SDK applies it. */
export interface ConsentState {
  /** The visitor made a choice (`consent.set` or `consent.optOut` was called, now or on an earlier visit). */
  decided: boolean;
  /** `consent.optOut()` is in force: nothing is sent or stored. */
  optedOut: boolean;
  /** Global Privacy Control or Do-Not-Track is on and honoured. */
  signal: boolean;
  /** Effective choice per configured category; `undefined` while an opt-in decision is pending. */
  categories: Record<string, boolean | undefined>;
}
