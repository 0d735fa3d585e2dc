import { DEFAULT_LIMITS, isPlainObject, parseIsoDate, type EventContext, type EventType, type JsonObject } from '@cdp/protocol';
import type { AliasParams, GroupParams, Id, IdentifyParams, PageParams, TrackParams } from './params.js';

/**
 * The hot-path check of a call. It mirrors what `@cdp/protocol`'s `validateEvent`
 * requires of the fields the SDK sends, with typeof tests instead of zod (a zod
 * parse costs more than the whole enqueue budget); `check.test.ts` keeps the two
 * in agreement. Free-form objects are kept by reference, not copied: they are
 * serialized once, when their batch is built.
 */

/** A call that passed the check, waiting in the queue. One shape for every type (monomorphic). */
export interface PendingEvent {
  type: EventType;
  /** Date.now() at the call; the timestamp when none was given. */
  time: number;
  messageId: string | undefined;
  userId: Id | undefined;
  anonymousId: Id | undefined;
  /** ISO 8601, as given or from a Date. */
  timestamp: string | undefined;
  context: EventContext | undefined;
  integrations: JsonObject | undefined;
  consent: Record<string, boolean> | undefined;
  /** track: event name; page/screen: page name. */
  name: string | undefined;
  category: string | undefined;
  /** group: groupId; alias: previousId. */
  targetId: Id | undefined;
  /** track/page/screen: properties; identify/group: traits. */
  payload: JsonObject | undefined;
}

/** Why a call was refused. */
export class InputIssue {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

export type CheckResult = PendingEvent | InputIssue;

// The range of protocol timestamps (ClickHouse DateTime64): 1900-01-01 .. 2299-12-31.
const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

const isBadId = (v: unknown): boolean =>
  v != null && typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v));
const isPresentId = (v: unknown): boolean => typeof v === 'number' || (typeof v === 'string' && v !== '');
const isBadObject = (v: unknown): boolean => v != null && !isPlainObject(v);
const isBadName = (v: unknown): boolean => v != null && typeof v !== 'string';

function isBadConsent(v: unknown): boolean {
  if (v == null) return false;
  if (!isPlainObject(v)) return true;
  for (const key in v) if (typeof v[key] !== 'boolean') return true;
  return false;
}

function toTimestamp(v: unknown): string | undefined | InputIssue {
  if (v == null) return undefined;
  if (v instanceof Date) {
    const ms = v.getTime();
    return ms >= MIN_TIME && ms <= MAX_TIME ? v.toISOString() : TIMESTAMP_ISSUE;
  }
  return typeof v === 'string' && !Number.isNaN(parseIsoDate(v)) ? v : TIMESTAMP_ISSUE;
}
const TIMESTAMP_ISSUE = new InputIssue('timestamp', 'timestamp: expected a Date or an ISO 8601 date-time between 1900 and 2299');

/** The parameters as the check reads them: typed inputs are still checked, since JavaScript callers exist. */
type Fields = { readonly [key: string]: unknown };

/** Checks the fields every type shares and builds the pending event. */
function build(
  type: EventType,
  p: Fields,
  name: string | undefined,
  category: string | undefined,
  targetId: Id | undefined,
  payload: unknown,
  payloadField: string,
): CheckResult {
  const { userId, anonymousId, messageId } = p;
  if (isBadId(userId)) return new InputIssue('userId', 'userId: expected a string or a finite number');
  if (isBadId(anonymousId)) return new InputIssue('anonymousId', 'anonymousId: expected a string or a finite number');
  if (type === 'alias') {
    if (!isPresentId(userId)) return new InputIssue('userId', 'userId: alias needs userId (the new id) and previousId');
  } else if (!isPresentId(userId) && !isPresentId(anonymousId)) {
    return new InputIssue('userId', 'userId: userId or anonymousId is required');
  }
  if (messageId != null && (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > MAX_ID)) {
    return new InputIssue('messageId', `messageId: expected a string of 1 to ${MAX_ID} characters`);
  }
  const timestamp = toTimestamp(p.timestamp);
  if (timestamp instanceof InputIssue) return timestamp;
  if (isBadObject(p.context)) return new InputIssue('context', 'context: expected a plain object');
  if (isBadObject(p.integrations)) return new InputIssue('integrations', 'integrations: expected a plain object');
  if (isBadObject(payload)) return new InputIssue(payloadField, `${payloadField}: expected a plain object`);
  if (isBadConsent(p.consent)) return new InputIssue('consent', 'consent: expected an object of booleans');
  return {
    type,
    time: Date.now(),
    messageId: (messageId as string | null | undefined) ?? undefined,
    userId: (userId as Id | null | undefined) ?? undefined,
    anonymousId: (anonymousId as Id | null | undefined) ?? undefined,
    timestamp,
    context: (p.context as EventContext | null | undefined) ?? undefined,
    integrations: (p.integrations as JsonObject | null | undefined) ?? undefined,
    consent: (p.consent as Record<string, boolean> | null | undefined) ?? undefined,
    name,
    category,
    targetId,
    payload: (payload as JsonObject | null | undefined) ?? undefined,
  };
}
const MAX_ID = DEFAULT_LIMITS.maxMessageIdLength;

const NOT_AN_OBJECT = new InputIssue('', 'expected an object of parameters');
const asFields = (p: unknown): Fields | undefined =>
  typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Fields) : undefined;

export function checkTrack(params: TrackParams): CheckResult {
  const p = asFields(params);
  if (p === undefined) return NOT_AN_OBJECT;
  const event = p.event;
  if (typeof event !== 'string' || event === '') return new InputIssue('event', 'event: expected a non-empty string');
  return build('track', p, event, undefined, undefined, p.properties, 'properties');
}

export function checkIdentify(params: IdentifyParams): CheckResult {
  const p = asFields(params);
  if (p === undefined) return NOT_AN_OBJECT;
  return build('identify', p, undefined, undefined, undefined, p.traits, 'traits');
}

export function checkPage(type: 'page' | 'screen', params: PageParams): CheckResult {
  const p = asFields(params);
  if (p === undefined) return NOT_AN_OBJECT;
  const { name, category } = p;
  if (isBadName(name)) return new InputIssue('name', 'name: expected a string');
  if (isBadName(category)) return new InputIssue('category', 'category: expected a string');
  return build(
    type,
    p,
    (name as string | null | undefined) ?? undefined,
    (category as string | null | undefined) ?? undefined,
    undefined,
    p.properties,
    'properties',
  );
}

export function checkGroup(params: GroupParams): CheckResult {
  const p = asFields(params);
  if (p === undefined) return NOT_AN_OBJECT;
  const groupId = p.groupId;
  if (groupId == null || isBadId(groupId)) return new InputIssue('groupId', 'groupId: expected a string or a finite number');
  return build('group', p, undefined, undefined, groupId as Id, p.traits, 'traits');
}

export function checkAlias(params: AliasParams): CheckResult {
  const p = asFields(params);
  if (p === undefined) return NOT_AN_OBJECT;
  const previousId = p.previousId;
  if (previousId == null || isBadId(previousId)) {
    return new InputIssue('previousId', 'previousId: expected a string or a finite number');
  }
  return build('alias', p, undefined, undefined, previousId as Id, undefined, '');
}
