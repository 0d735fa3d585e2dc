/**
 * The ingestion API as the CLI runs it, with small spool segments and small
 * flush batches, so that `bench/crash.ts`'s kills land inside batches, between
 * a batch's inserts and during segment rotations (the paths a crash can break).
 * With CRASH_DRAIN=1 (the audit's final start) the defaults apply.
 */
import { createApp } from '../src/app.js';
import { optionsFromEnv } from '../src/config/env.js';

const options = optionsFromEnv();
// The audit's last start drains the backlog with the default (large) batches.
if (process.env['CRASH_DRAIN'] !== '1') {
  options.spool = { ...options.spool, maxSegmentBytes: 150_000 };
  options.flush = { ...options.flush, batchWaitMs: 15, batchBytes: 60_000, maxBatchBytes: 120_000 };
}
const app = await createApp(options);
const url = await app.listen();
process.stderr.write(`listening on ${url}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
