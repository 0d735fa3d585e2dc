import { isPlainObject, type RejectedEvent } from '@cdp/protocol';
import { ApiError } from '../http/api-error.js';

/**
 * PostHog's capture API, so an app can point posthog-node or posthog-js at this
 * server unchanged: `POST /batch/` (`{ api_key, batch, sent_at }`, what the
 * server libraries send) and `POST /e/`, `/i/v0/e/`, `/capture/` (one event, an
 * array, or the same envelope; the browser library). Each PostHog event becomes
 * the Segment-shaped event it describes and is then validated and stored like
 * any other; the project token is the write key.
 */
export const POSTHOG_PATHS = ['/batch/', '/e/', '/i/v0/e/', '/capture/'] as const;

export interface PostHogRequest {
  writeKey: string | undefined;
  /** A `/v1/batch` body: `{ batch, sentAt? }`. */
  envelope: { batch: unknown[]; sentAt?: string };
  /** The person updates some of the events carry (see `personUpdate`), each with the index of its event. */
  updates: PersonUpdate[];
}

export interface PersonUpdate {
  /** Index of the event in the request. */
  source: number;
  /** The identify event that carries the update. */
  event: Record<string, unknown>;
}

/** The JSON text of a body posthog-js sent form-encoded and base64'd (`data=<base64>`), else the text itself. */
export function unwrapFormData(text: string): string {
  if (!text.startsWith('data=')) return text;
  const data = new URLSearchParams(text).get('data') ?? '';
  return Buffer.from(data, 'base64').toString('utf8');
}

/** Reads the request's events and its one project token (body `api_key`, each event's `api_key` or `properties.token`). */
export function fromPostHog(body: unknown): PostHogRequest {
  let events: unknown[];
  let envelopeToken: unknown;
  let sentAt: unknown;
  if (Array.isArray(body)) events = body;
  else if (isPlainObject(body) && Array.isArray(body['batch'])) {
    events = body['batch'];
    envelopeToken = body['api_key'];
    sentAt = body['sent_at'];
  } else if (isPlainObject(body)) {
    events = [body];
    envelopeToken = body['api_key'];
  } else {
    throw new ApiError('invalid_body', { message: 'Expected a PostHog event, an array of events, or { api_key, batch: [...] }.' });
  }
  let writeKey = typeof envelopeToken === 'string' && envelopeToken !== '' ? envelopeToken : undefined;
  const updates: PersonUpdate[] = [];
  const batch = events.map((raw, i) => {
    if (!isPlainObject(raw)) return raw;
    const properties = isPlainObject(raw['properties']) ? raw['properties'] : {};
    const token = typeof raw['api_key'] === 'string' ? raw['api_key'] : properties['token'];
    if (typeof token === 'string' && token !== '') {
      if (writeKey !== undefined && token !== writeKey) {
        throw new ApiError('invalid_body', { message: `batch[${i}].properties.token: another project token than the request's; send one project per request.`, path: `batch[${i}].properties.token` });
      }
      writeKey = token;
    }
    const event = toSegment(raw, properties);
    const update = personUpdate(raw, properties, event);
    if (update !== undefined) updates.push({ source: i, event: update });
    return event;
  });
  return { writeKey, envelope: { batch, ...(typeof sentAt === 'string' ? { sentAt } : {}) }, updates };
}

/** A plain object with at least one key, else undefined. */
function nonEmpty(value: unknown): Json | undefined {
  return isPlainObject(value) && Object.keys(value).length > 0 ? value : undefined;
}

/**
 * In PostHog a `$set` or `$set_once` on any event updates the person: posthog-js sends its `$initial_*` referrer and
 * campaign properties as `$set_once` on the first event of each page load, and `capture(name, props, { $set })` sets
 * properties with an event. Here traits change through identify events (which an unmerge replays), so a track, page
 * or screen carrying them is followed by an identify of the same person, at the same time, with those traits. Its
 * messageId is the event's plus `:$set`, so a retry is deduplicated like the event.
 */
function personUpdate(raw: Json, properties: Json, event: Json): Json | undefined {
  if (event['type'] !== 'track' && event['type'] !== 'page' && event['type'] !== 'screen') return undefined;
  const set = nonEmpty(raw['$set'] ?? properties['$set']);
  const once = nonEmpty(raw['$set_once'] ?? properties['$set_once']);
  if (set === undefined && once === undefined) return undefined;
  const update: Json = { type: 'identify', traits: once === undefined ? set : { ...set, $set_once: once } };
  for (const key of ['userId', 'anonymousId', 'originalTimestamp', 'context'] as const) if (event[key] !== undefined) update[key] = event[key];
  if (typeof event['messageId'] === 'string') update['messageId'] = `${event['messageId']}:$set`;
  return update;
}

type Json = Record<string, unknown>;

/** Properties that carry the request's token and the event's id: never event properties. */
const ENVELOPE_PROPERTIES = new Set(['token', 'distinct_id']);

function toSegment(raw: Json, properties: Json): Json {
  const name = raw['event'];
  const distinctId = raw['distinct_id'] ?? properties['distinct_id'];
  const out: Json = {};
  if (raw['uuid'] !== undefined) out['messageId'] = raw['uuid'];
  if (raw['timestamp'] !== undefined) out['originalTimestamp'] = raw['timestamp'];
  const context: Json = {};
  if (typeof properties['$lib'] === 'string') context['library'] = { name: properties['$lib'], ...(typeof properties['$lib_version'] === 'string' ? { version: properties['$lib_version'] } : {}) };
  if (typeof properties['$ip'] === 'string') context['ip'] = properties['$ip'];
  // The properties of a track, page or screen. A `$set` there (or beside them, from posthog-js) stays among them, as in
  // PostHog, and also becomes the traits of an identify stored after the event (see personUpdate).
  const own: Json = {};
  for (const key of Object.keys(properties)) if (!ENVELOPE_PROPERTIES.has(key)) own[key] = properties[key];
  for (const key of ['$set', '$set_once']) if (raw[key] !== undefined && own[key] === undefined) own[key] = raw[key];

  switch (name) {
    case '$identify':
    case '$set': {
      out['type'] = 'identify';
      out['userId'] = distinctId;
      const anon = properties['$anon_distinct_id'] ?? (name === '$identify' ? deviceId(properties, distinctId) : undefined);
      if (anon !== undefined && anon !== distinctId) out['anonymousId'] = anon;
      // posthog-js sends $set and $set_once beside the properties, the server libraries inside them.
      const setRaw = raw['$set'] ?? properties['$set'];
      const set = isPlainObject(setRaw) ? setRaw : {};
      const once = raw['$set_once'] ?? properties['$set_once'];
      out['traits'] = isPlainObject(once) && Object.keys(once).length > 0 ? { ...set, $set_once: once } : set;
      break;
    }
    case '$create_alias':
      out['type'] = 'alias';
      out['userId'] = distinctId;
      out['previousId'] = properties['alias'];
      break;
    case '$groupidentify': {
      out['type'] = 'group';
      setIdentity(out, properties, distinctId);
      // Without a person, posthog-node names the call `$<type>_<key>`: not anyone's id.
      if (distinctId === `$${String(properties['$group_type'])}_${String(properties['$group_key'])}`) {
        delete out['userId'];
        out['anonymousId'] = distinctId;
      }
      out['groupId'] = properties['$group_key'];
      const set = isPlainObject(properties['$group_set']) ? properties['$group_set'] : {};
      out['traits'] = properties['$group_type'] === undefined ? set : { ...set, group_type: properties['$group_type'] };
      break;
    }
    case '$pageview':
      out['type'] = 'page';
      setIdentity(out, properties, distinctId);
      out['properties'] = own;
      context['page'] = pageContext(properties);
      break;
    case '$screen':
      out['type'] = 'screen';
      setIdentity(out, properties, distinctId);
      if (typeof properties['$screen_name'] === 'string') out['name'] = properties['$screen_name'];
      out['properties'] = own;
      break;
    default:
      out['type'] = 'track';
      out['event'] = name;
      setIdentity(out, properties, distinctId);
      out['properties'] = own;
  }
  if (Object.keys(context).length > 0) out['context'] = context;
  return out;
}

/**
 * Whose event it is. posthog-js says so in `$is_identified`, and keeps the first (anonymous) id in `$device_id`: until
 * the user is identified, `distinct_id` is that device id. Server libraries send neither, and name a user.
 */
function setIdentity(out: Json, properties: Json, distinctId: unknown): void {
  const flag = properties['$is_identified'];
  const device = deviceId(properties, distinctId);
  const anonymous = typeof flag === 'boolean' ? !flag : typeof properties['$device_id'] === 'string' ? properties['$device_id'] === distinctId : false;
  if (anonymous) out['anonymousId'] = distinctId;
  else {
    out['userId'] = distinctId;
    if (device !== undefined && device !== distinctId) out['anonymousId'] = device;
  }
}

function deviceId(properties: Json, distinctId: unknown): string | undefined {
  const device = properties['$device_id'];
  return typeof device === 'string' && device !== '' && device !== distinctId ? device : undefined;
}

function pageContext(properties: Json): Json {
  const page: Json = {};
  for (const [from, to] of [['$current_url', 'url'], ['$pathname', 'path'], ['$referrer', 'referrer'], ['$title', 'title']] as const) {
    // `$direct` is PostHog's word for "no referrer".
    if (typeof properties[from] === 'string' && properties[from] !== '$direct') page[to] = properties[from];
  }
  return page;
}

/** PostHog's names for the fields a Segment-shaped error names, so an error points at what the client sent. */
const FIELD_NAMES: Record<string, string> = {
  userId: 'distinct_id',
  anonymousId: 'distinct_id',
  messageId: 'uuid',
  originalTimestamp: 'timestamp',
  previousId: 'properties.alias',
  groupId: 'properties.$group_key',
  traits: 'properties.$set',
  sentAt: 'sent_at',
};

const FIELD = /(batch\[\d+\])\.(\w+)/g;

/** Rewrites `batch[3].userId` (and the same in a message) as `batch[3].distinct_id`. */
export function postHogPath(text: string): string {
  return text.replace(FIELD, (whole, item: string, field: string) => {
    const name = FIELD_NAMES[field];
    return name === undefined ? whole : `${item}.${name}`;
  });
}

export function postHogRejected(rejected: readonly RejectedEvent[]): RejectedEvent[] {
  return rejected.map((r) => ({ ...r, message: postHogPath(r.message), ...(r.path === undefined ? {} : { path: postHogPath(r.path) }) }));
}

/** Refused person updates (see personUpdate), reported at their events' `$set`. */
export function refusedUpdates(rejected: readonly RejectedEvent[], updates: readonly PersonUpdate[]): RejectedEvent[] {
  return rejected.map((r) => {
    const source = updates[r.index]?.source ?? r.index;
    const path = `batch[${source}].$set`;
    return { ...r, index: source, path, message: `${path}: the person update this event carries was refused: ${r.message.replace(/^batch\[\d+\][.:]?\s*/, '')}` };
  });
}

/** The same error, its message, path and rejected events named in PostHog's fields. */
export function postHogError(err: ApiError): ApiError {
  const rejected = err.extra?.['rejected'];
  return new ApiError(err.code, {
    message: postHogPath(err.message),
    ...(err.path === undefined ? {} : { path: postHogPath(err.path) }),
    ...(err.extra === undefined ? {} : { extra: Array.isArray(rejected) ? { ...err.extra, rejected: postHogRejected(rejected as RejectedEvent[]) } : err.extra }),
    ...(err.headers === undefined ? {} : { headers: err.headers }),
    cause: err,
  });
}
