import {
  batchEnvelopeSchema,
  formatPath,
  isPlainObject,
  parseIsoDate,
  validateEvent,
  type EventType,
  type Limits,
  type RejectedEvent,
} from '@cdp/protocol';
import { ApiError } from '../http/api-error.js';
import { deadLetterRow } from '../pipeline/dead-letter.js';
import { RECORD_DEAD_LETTER, RECORD_EVENT, encodeRecord } from '../pipeline/records.js';
import { identityProjection } from '../identity/projection.js';
import type { RequestPolicy } from '../privacy/policy.js';
import { buildEventRow, derivedMessageId, eventContext, eventTime, utf8Exceeds, type RequestFacts } from './event-row.js';

/**
 * Stored rows carry ~300 bytes of server fields (workspace, key, received_at,
 * ...) on top of the client's event; the per-event limit is for the client's part.
 */
const ROW_ALLOWANCE_BYTES = 1_024;

/** What the route knows about a request before looking at the body. */
export type RequestBasics = Pick<RequestFacts, 'workspaceId' | 'keyId' | 'receivedAt' | 'ip'>;

/** The facts every event of a request shares (batch-level defaults included). */
export function requestFacts(basics: RequestBasics, batch: { context?: RequestFacts['batchContext']; integrations?: RequestFacts['batchIntegrations']; sentAt?: number }): RequestFacts {
  // Fields listed rather than spread: this runs once per request on the hot path.
  return {
    workspaceId: basics.workspaceId,
    keyId: basics.keyId,
    receivedAt: basics.receivedAt,
    ip: basics.ip,
    receivedIso: new Date(basics.receivedAt).toISOString(),
    batchContext: batch.context,
    batchIntegrations: batch.integrations,
    batchSentAt: batch.sentAt,
    batchSentIso: batch.sentAt === undefined ? null : new Date(batch.sentAt).toISOString(),
  };
}

export interface ProcessedRequest {
  /** Spool lines for accepted events and dead letters, ready to append. */
  lines: string;
  accepted: number;
  rejected: RejectedEvent[];
  /** Valid events not stored because the consent they require was not granted. */
  dropped: number;
  /** Set when the request as a whole fails; respond with it after the dead letters are durable. */
  error?: ApiError;
}

interface Sink {
  lines: string[];
  rejected: RejectedEvent[];
  accepted: number;
  dropped: number;
  /** The workspace's privacy policy for this write key (consent, PII); undefined when it has none. */
  policy: RequestPolicy | undefined;
}

/** Validates a `/v1/batch`-style body and turns it into spool lines. */
export function processBatch(body: unknown, facts: RequestBasics, limits: Limits, policy?: RequestPolicy): ProcessedRequest {
  if (!isPlainObject(body)) throw new ApiError('invalid_body', { message: 'Expected a JSON object with a "batch" array.' });
  const envelope = batchEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const path = issue === undefined ? 'batch' : formatPath(issue.path);
    throw new ApiError('invalid_body', { message: `${path}: ${issue?.message ?? 'invalid'}`, path });
  }
  const { batch, context, integrations, sentAt } = envelope.data;
  if (batch.length > limits.maxBatchEvents) {
    throw new ApiError('batch_too_large', {
      message: `The batch has ${batch.length} events; the limit is ${limits.maxBatchEvents}.`,
      path: 'batch',
    });
  }
  const batchSentAt = sentAt === undefined ? Number.NaN : parseIsoDate(sentAt);
  const full = requestFacts(facts, {
    ...(context === undefined ? {} : { context }),
    ...(integrations === undefined ? {} : { integrations }),
    ...(Number.isNaN(batchSentAt) ? {} : { sentAt: batchSentAt }),
  });
  const sink: Sink = { lines: [], rejected: [], accepted: 0, dropped: 0, policy };
  for (let i = 0; i < batch.length; i++) processOne(batch[i], i, `batch[${i}]`, undefined, full, limits, sink);
  const result: ProcessedRequest = { lines: sink.lines.join(''), accepted: sink.accepted, rejected: sink.rejected, dropped: sink.dropped };
  const first = sink.rejected[0];
  if (sink.accepted === 0 && sink.dropped === 0 && first !== undefined) {
    // Nothing usable: a 4xx tells the client not to retry; the dead letters are still written.
    result.error = new ApiError(first.code, {
      message: `No event in the batch is valid. ${first.message}`,
      ...(first.path === undefined ? {} : { path: first.path }),
      extra: { rejected: sink.rejected },
    });
  }
  return result;
}

/** Validates a single-event body (`/v1/track`, `/v1/t`, ...). */
export function processSingle(
  body: unknown,
  type: EventType,
  facts: RequestBasics,
  limits: Limits,
  policy?: RequestPolicy,
): ProcessedRequest {
  const full = requestFacts(facts, {});
  const sink: Sink = { lines: [], rejected: [], accepted: 0, dropped: 0, policy };
  processOne(body, 0, '', type, full, limits, sink);
  const result: ProcessedRequest = { lines: sink.lines.join(''), accepted: sink.accepted, rejected: [], dropped: sink.dropped };
  const rejected = sink.rejected[0];
  if (rejected !== undefined) {
    result.error = new ApiError(rejected.code, {
      message: rejected.message,
      ...(rejected.path === undefined ? {} : { path: rejected.path }),
    });
  }
  return result;
}

function processOne(
  raw: unknown,
  index: number,
  prefix: string,
  type: EventType | undefined,
  facts: RequestFacts,
  limits: Limits,
  sink: Sink,
): void {
  const result = validateEvent(raw, type);
  if (!result.ok) {
    const { issue } = result;
    const path = joinPrefix(prefix, issue.path);
    reject(sink, facts, raw, index, { code: issue.code, path, message: prefix === '' ? issue.message : `${prefix}${issue.path === '' ? ': ' : '.'}${issue.message}` });
    return;
  }
  let event = result.event;
  const messageId = event.messageId ?? derivedMessageId(facts.workspaceId, raw, index);
  let context = eventContext(event, facts);
  if (sink.policy !== undefined) {
    // Consent and PII controls, before anything about the event is written.
    const applied = sink.policy.apply(event, context);
    if (applied === undefined) {
      sink.dropped++;
      return;
    }
    ({ event, context } = applied);
  }
  const time = eventTime(event, facts);
  const row = buildEventRow(event, messageId, facts, context, time);
  if (utf8Exceeds(row, limits.maxEventBytes + ROW_ALLOWANCE_BYTES)) {
    reject(sink, facts, raw, index, {
      code: 'event_too_large',
      path: prefix,
      message: `${prefix === '' ? 'The event' : prefix} is larger than ${limits.maxEventBytes} bytes.`,
      messageId,
    });
    return;
  }
  sink.lines.push(
    encodeRecord(
      { k: RECORD_EVENT, w: facts.workspaceId, m: messageId, y: event.type, ts: time, i: identityProjection(event, context) },
      row,
    ),
  );
  sink.accepted++;
}

function joinPrefix(prefix: string, path: string): string {
  if (prefix === '') return path;
  return path === '' ? prefix : `${prefix}.${path}`;
}

function reject(
  sink: Sink,
  facts: RequestFacts,
  raw: unknown,
  index: number,
  r: { code: RejectedEvent['code']; path: string; message: string; messageId?: string },
): void {
  const messageId =
    r.messageId ?? (isPlainObject(raw) && typeof raw['messageId'] === 'string' ? raw['messageId'].slice(0, 200) : '');
  const rejected: RejectedEvent = { index, code: r.code, message: r.message };
  if (r.path !== '') rejected.path = r.path;
  if (messageId !== '') rejected.messageId = messageId;
  sink.rejected.push(rejected);
  const row = deadLetterRow({
    workspaceId: facts.workspaceId,
    receivedAt: new Date(facts.receivedAt).toISOString(),
    messageId,
    code: r.code,
    reason: r.message,
    path: r.path,
    payload: JSON.stringify(sink.policy === undefined ? raw : sink.policy.scrubPayload(raw)) ?? 'undefined',
    keyId: facts.keyId,
  });
  sink.lines.push(encodeRecord({ k: RECORD_DEAD_LETTER, w: facts.workspaceId, m: messageId }, row));
}
