/**
 * Entry of the `<script>` build (IIFE): installs `window.cdp` and replays the
 * calls the loader snippet queued before this script arrived.
 */
import * as api from './index.js';

type Queued = [name: string, args: unknown[]];
type Fn = (...args: unknown[]) => unknown;
const w = window as unknown as { cdp?: { q?: Queued[] } | typeof api };
const stub = w.cdp;
const queued = stub && 'q' in stub && Array.isArray(stub.q) ? stub.q : [];
w.cdp = api;
for (const [name, args] of queued) {
  const [head = '', tail] = name.split('.');
  const target = (tail ? api[head as 'consent'] : api) as unknown as Record<string, Fn | undefined>;
  target[tail ?? head]?.(...args);
}
