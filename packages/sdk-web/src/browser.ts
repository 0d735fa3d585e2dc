/**
 * Entry of the `<script>` build (IIFE): installs `window.cdp` and replays the
 * calls the loader snippet queued before this script arrived.
 */
import * as api from './index.js';

type Queued = [name: string, args: unknown[], time?: number];
type Fn = (...args: unknown[]) => unknown;
/** Where each event call takes its options: replayed events get the time of the original call. */
const OPTIONS_AT: Record<string, number> = { track: 2, identify: 2, page: 2, group: 2, alias: 1 };

const w = window as unknown as { cdp?: { q?: Queued[] } | typeof api };
const stub = w.cdp;
const queued = stub && 'q' in stub && Array.isArray(stub.q) ? stub.q : [];
w.cdp = api;
for (const [name, args, time] of queued) {
  const at = OPTIONS_AT[name];
  if (at !== undefined && time !== undefined) args[at] = { timestamp: new Date(time), ...(args[at] as object | undefined) };
  const [head = '', tail] = name.split('.');
  const target = (tail ? api[head as 'consent'] : api) as unknown as Record<string, Fn | undefined>;
  target[tail ?? head]?.(...args);
}
