// @ts-check
/**
 * One SDK in one plain-node process (so peak RSS is the SDK's own, with no
 * TypeScript loader): EVENTS `track` calls in a tight loop (burst) or yielding to
 * the event loop every 100 calls (paced), then the SDK's own close/flush.
 * argv: <sdk> <mode> <host> <events> <closeTimeoutMs>. @cdp/sdk-node is imported
 * from its build (the bench script builds it first).
 * IPC: 'enqueued' (µs per call, timed over the calls only, not the yields), 'closed'.
 */
import { performance } from 'node:perf_hooks';

/**
 * @typedef {'baseline' | 'cdp' | 'segment' | 'posthog'} SdkName
 * @typedef {'burst' | 'paced'} Mode
 * @typedef {{ track(i: number): void; close(timeoutMs: number): Promise<unknown> }} Client
 */

/** @param {number} i */
const userId = (i) => `user-${i % 1000}`;
const properties = (/** @type {number} */ i) => ({ i, plan: 'pro' });

/**
 * @param {SdkName} sdk
 * @param {string} host
 * @returns {Promise<Client>}
 */
async function makeClient(sdk, host) {
  const writeKey = 'bench-write-key';
  if (sdk === 'baseline') {
    // No SDK: the loop builds the same arguments and keeps them, as a queue would.
    /** @type {unknown[]} */
    const kept = [];
    return {
      track: (i) => kept.push({ userId: userId(i), event: 'Bench Event', properties: properties(i) }),
      close: async () => kept.length,
    };
  }
  if (sdk === 'cdp') {
    const { Analytics } = await import('@cdp/sdk-node');
    const client = new Analytics({ writeKey, host });
    let lost = 0;
    client.on('error', (e) => (lost += e.count));
    client.on('drop', (d) => (lost += d.count));
    return {
      track: (i) => client.track({ userId: userId(i), event: 'Bench Event', properties: properties(i) }),
      close: async (timeoutMs) => {
        await client.close({ timeoutMs });
        if (lost > 0) process.stderr.write(`@cdp/sdk-node reported ${lost} undelivered events\n`);
      },
    };
  }
  if (sdk === 'segment') {
    const { Analytics } = await import('@segment/analytics-node');
    const client = new Analytics({ writeKey, host });
    client.on('error', () => undefined);
    return {
      track: (i) => client.track({ userId: userId(i), event: 'Bench Event', properties: properties(i) }),
      close: (timeoutMs) => client.closeAndFlush({ timeout: timeoutMs }),
    };
  }
  const { PostHog } = await import('posthog-node');
  const client = new PostHog(writeKey, { host });
  return {
    track: (i) => client.capture({ distinctId: userId(i), event: 'Bench Event', properties: properties(i) }),
    close: (timeoutMs) => client.shutdown(timeoutMs),
  };
}

async function main() {
  const [sdk, mode, host, eventsArg, closeArg] = process.argv.slice(2);
  const events = Number(eventsArg);
  const client = await makeClient(/** @type {SdkName} */ (sdk), String(host));
  const yieldNow = () => new Promise((resolve) => setImmediate(resolve));
  await yieldNow();
  const startedAt = Date.now();
  let callMs = 0;
  if (mode === 'burst') {
    const t0 = performance.now();
    for (let i = 0; i < events; i++) client.track(i);
    callMs = performance.now() - t0;
  } else {
    for (let i = 0; i < events; i += 100) {
      const t0 = performance.now();
      for (let j = i; j < Math.min(events, i + 100); j++) client.track(j);
      callMs += performance.now() - t0;
      await yieldNow();
    }
  }
  process.send?.({ type: 'enqueued', startedAt, enqueueUs: (callMs * 1000) / events });
  await client.close(Number(closeArg));
  process.send?.({ type: 'closed', maxRssKb: process.resourceUsage().maxRSS });
  process.disconnect?.();
}

void main();
