import { DEFAULT_LIMITS, type IngestResponse } from '@cdp/protocol/constants';
import { backoff } from './backoff.js';
import { batchBody, byteLength, chunk } from './batch.js';
import type { Report } from './emitter.js';
import type { ResolvedOptions } from './options.js';
import type { Queue } from './queue.js';

/** Per request: under the API's body limit, and few enough events that one slow request does not hold many. */
const BATCH = { maxBytes: DEFAULT_LIMITS.maxBodyBytes - 4096, maxEvents: 100 };
/** Browsers cap the bodies of keepalive requests and beacons in flight at 64 KB in all. */
const BEACON = { maxBytes: 64 * 1024 - 1024, maxEvents: 100 };
const TIMEOUT_MS = 30_000;

export interface Delivery {
  /** An event was queued. */
  schedule(): void;
  /** Sends everything queued now; resolves when the queue is empty or a send failed. */
  flush(): Promise<void>;
  /** The page is hidden or going away: hand what is queued to the browser (sendBeacon). */
  unload(final: boolean): void;
  /** The network is back: retry at once. */
  online(): void;
  stop(): void;
}

const retryable = (status: number) => status === 0 || status === 408 || status === 429 || status >= 500;

export function createDelivery({ options, queue, report }: { options: ResolvedOptions; queue: Queue; report: Report }): Delivery {
  const url = `${options.host}/v1/batch`;
  const inflight = new Set<string>();
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;

  const idle = () => queue.items.filter((e) => !inflight.has(e.messageId));
  const wait = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };

  /** Sends one batch; true when it went through and more is waiting. */
  const sendOne = async (): Promise<boolean> => {
    clearTimeout(timer);
    timer = undefined;
    const batch = chunk(idle(), BATCH)[0];
    if (batch === undefined) return false;
    const ids = new Set(batch.map((e) => e.messageId));
    const messageIds = [...ids];
    const body = batchBody(batch, options.writeKey);
    let status = 0;
    let retryAfter = 0;
    let cause: unknown;
    let response: Partial<IngestResponse> = {};
    for (const id of ids) inflight.add(id);
    try {
      const res = await Promise.race([
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body,
          // keepalive lets the request finish if the page goes away meanwhile.
          keepalive: byteLength(body) < BEACON.maxBytes,
        }),
        // A hung request must not stall the queue; the batch is retried (same messageIds, deduplicated).
        new Promise<never>((_, reject) => setTimeout(reject, TIMEOUT_MS, new Error('timeout'))),
      ]);
      status = res.status;
      retryAfter = Number(res.headers.get('retry-after')) * 1000 || 0;
      if (res.ok) response = ((await res.json().catch(() => ({}))) as Partial<IngestResponse> | null) ?? {};
    } catch (error) {
      cause = error;
    } finally {
      for (const id of ids) inflight.delete(id);
    }
    if (retryable(status)) {
      attempt++;
      report('delivery_failed', `Delivery failed (${status ? `HTTP ${status}` : 'network error'}); will retry`, {
        cause,
        details: { status, attempt, messageIds },
      });
      wait(Math.max(retryAfter, backoff({ attempt, base: options.retryBaseDelay, max: options.retryMaxDelay })));
      return false;
    }
    attempt = 0;
    queue.remove(ids);
    const rejected = status >= 300 ? messageIds : (response.rejected ?? []).map((r) => batch[r.index]?.messageId ?? '');
    if (rejected.length > 0) {
      report('event_rejected', `API refused ${rejected.length} events (HTTP ${status}); dropped`, {
        details: { status, messageIds: rejected },
      });
    }
    return idle().length > 0;
  };

  function run(): Promise<void> {
    running ??= (async () => {
      try {
        while (await sendOne());
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  return {
    schedule() {
      if (attempt > 0 || running) return;
      if (queue.items.length >= options.flushAt) void run();
      else timer ??= setTimeout(run, options.flushInterval);
    },
    flush: () => run(),
    unload(final) {
      // While the API is failing, a beacon would be lost: the events stay persisted for the next page or another tab.
      if (attempt === 0 && typeof navigator.sendBeacon === 'function') {
        const sent = new Set<string>();
        for (const batch of chunk(idle(), BEACON)) {
          if (!navigator.sendBeacon(url, batchBody(batch, options.writeKey))) break;
          for (const e of batch) sent.add(e.messageId);
        }
        queue.remove(sent);
      } else if (attempt === 0) {
        void run();
      }
      if (final) queue.release();
    },
    online() {
      if (attempt > 0) void run();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
