import type { EventType } from '@cdp/protocol';
import type { InputIssue } from './check.js';
import type { Outcome } from './delivery.js';
import { DeliveryError, InvalidEventError, type AnalyticsError } from './errors.js';
import type { AnalyticsEvents, DropReason } from './events.js';

type Emit = <K extends keyof AnalyticsEvents>(name: K, payload: AnalyticsEvents[K]) => boolean;

/**
 * Turns what happened to events into `delivered`, `error` and `drop` events, so
 * that each event is reported exactly once. Drops are gathered and emitted once
 * per reason and turn of the event loop, however many calls overflowed in a loop.
 * Without listeners, problems still surface: one process warning per kind.
 */
export class Reporter {
  readonly #emit: Emit;
  readonly #drops = new Map<DropReason, string[]>();
  #dropsScheduled = false;
  readonly #warned = new Set<string>();

  constructor(emit: Emit) {
    this.#emit = emit;
  }

  drop(reason: DropReason, messageIds: readonly string[]): void {
    let list = this.#drops.get(reason);
    if (list === undefined) this.#drops.set(reason, (list = []));
    for (const id of messageIds) list.push(id);
    if (!this.#dropsScheduled) {
      this.#dropsScheduled = true;
      queueMicrotask(() => this.emitDrops());
    }
  }

  /** Emits the gathered drops now (close() does, before it resolves). */
  emitDrops(): void {
    this.#dropsScheduled = false;
    for (const [reason, messageIds] of this.#drops) {
      this.#drops.delete(reason);
      if (messageIds.length === 0) continue;
      if (!this.#emit('drop', { reason, count: messageIds.length, messageIds })) {
        this.#warn(`drop:${reason}`, `${messageIds.length} events dropped (${reason})`);
      }
    }
  }

  /** A refused call; reported after the call returns, so listeners never run inside the caller's stack. */
  invalid(options: { type: EventType; issue: InputIssue; messageId: string; cause?: unknown }): void {
    const { type, issue, messageId, cause } = options;
    const error = new InvalidEventError({
      code: 'invalid_event',
      path: issue.path,
      type,
      message: `${type}: ${issue.message}`,
      messageIds: [messageId],
      cause,
    });
    queueMicrotask(() => this.error(error));
  }

  tooLarge(options: { type: EventType; messageId: string; bytes: number; limit: number }): void {
    const message = `the event is ${options.bytes} bytes as JSON, more than the limit (${options.limit})`;
    this.error(new InvalidEventError({ code: 'event_too_large', path: '', type: options.type, message, messageIds: [options.messageId] }));
  }

  /** What one batch's delivery came to. */
  outcome(messageIds: readonly string[], outcome: Outcome): void {
    switch (outcome.kind) {
      case 'delivered': {
        const { rejected, status, attempts } = outcome;
        const refused = new Set(rejected.map((r) => r.messageId));
        const accepted = refused.size === 0 ? messageIds : messageIds.filter((id) => !refused.has(id));
        if (accepted.length > 0) this.#emit('delivered', { count: accepted.length, messageIds: accepted, status, attempts });
        if (rejected.length > 0) {
          const message = `the server rejected ${rejected.length} of ${messageIds.length} events: ${rejected[0]?.message ?? ''}`;
          this.error(new DeliveryError({ code: 'event_rejected', message, messageIds: [...refused], status, attempts, rejected }));
        }
        return;
      }
      case 'rejected': {
        const { status, attempts, apiError } = outcome;
        const detail = apiError === undefined ? '' : ` ${apiError.code}: ${apiError.message}`;
        const message = `HTTP ${status}${detail}; not retried (the request cannot succeed as sent)`;
        this.error(new DeliveryError({ code: 'request_rejected', message, messageIds, status, attempts, apiError }));
        return;
      }
      case 'failed': {
        const { status, attempts, cause } = outcome;
        const message = `gave up after ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}`;
        this.error(new DeliveryError({ code: 'delivery_failed', message, messageIds, status, attempts, cause }));
        return;
      }
      case 'aborted':
        return; // close() gave up on the batch and reported it as a drop
    }
  }

  error(error: AnalyticsError): void {
    if (!this.#emit('error', error)) this.#warn(error.code, error.message);
  }

  #warn(kind: string, message: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    process.emitWarning(`@cdp/sdk-node: ${message} (add an 'error' and a 'drop' listener to see every occurrence)`, {
      code: 'CDP_SDK_UNHANDLED',
    });
  }
}
