import type { AnalyticsError } from './errors.js';

/** Why events were discarded without being sent. */
export type DropReason =
  /** The queue held `maxQueueEvents`; `overflow` chose which events to discard. */
  | 'queue_full'
  /** The call came after close(). */
  | 'closed'
  /** close() ran out of time; the events may or may not have reached the server. */
  | 'close_timeout';

export interface DropInfo {
  reason: DropReason;
  count: number;
  /** messageIds of the discarded events (generated ones included). */
  messageIds: readonly string[];
}

export interface DeliveredInfo {
  /** Events the server accepted in this request. */
  count: number;
  messageIds: readonly string[];
  /** HTTP status of the successful attempt. */
  status: number;
  /** Attempts it took (1 = no retry). */
  attempts: number;
}

/** The events an Analytics instance emits. */
export interface AnalyticsEvents {
  error: AnalyticsError;
  drop: DropInfo;
  delivered: DeliveredInfo;
}
