import type { EventContext, JsonObject } from '@cdp/protocol';

/** A user id or an anonymous id; numbers are accepted as Segment does (sent as given, read as strings). */
export type Id = string | number;

/**
 * Who the event is about: `userId`, `anonymousId` or both. A non-empty string or
 * a finite number counts as present.
 */
export type Identity = { userId: Id; anonymousId?: Id | undefined } | { userId?: Id | undefined; anonymousId: Id };

/** Fields every call accepts. */
export interface CommonParams {
  /** Dedup key (1–100 characters); generated (a UUID) when absent and kept across retries. */
  messageId?: string | undefined;
  /** When the event happened: a `Date` or an ISO 8601 string. Defaults to the time of the call. */
  timestamp?: Date | string | undefined;
  /** Segment context; the SDK adds `context.library`. */
  context?: EventContext | undefined;
  /** Per-destination switches, as in Segment: `{ All: false, Mixpanel: true }`. */
  integrations?: JsonObject | undefined;
  /**
   * Consent categories the user granted or denied, e.g. `{ analytics: true, ads: false }`; sent as
   * `context.consent.categoryPreferences` (Segment's shape), replacing one given in `context`.
   */
  consent?: Record<string, boolean> | undefined;
}

export type TrackParams = Identity & CommonParams & { event: string; properties?: JsonObject | undefined };
export type IdentifyParams = Identity & CommonParams & { traits?: JsonObject | undefined };
export type PageParams = Identity &
  CommonParams & { name?: string | undefined; category?: string | undefined; properties?: JsonObject | undefined };
export type ScreenParams = PageParams;
export type GroupParams = Identity & CommonParams & { groupId: Id; traits?: JsonObject | undefined };
/** `userId` is the new id, `previousId` the one it replaces (often an anonymousId). */
export type AliasParams = CommonParams & { userId: Id; previousId: Id; anonymousId?: Id | undefined };
