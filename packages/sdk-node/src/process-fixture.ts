/**
 * Test-only script run in a child process by process.integration.test.ts:
 * argv <host> <events> <mode>, mode 'close' (await close), 'flush' (await flush)
 * or 'none' (exit without either). It never calls process.exit: the process ends
 * when nothing keeps it alive, which is what the test observes.
 */
import { Analytics } from './index.js';

const [host = '', events = '0', mode = 'close'] = process.argv.slice(2);
const analytics = new Analytics({ writeKey: 'wk_exit', host, retryBaseDelayMs: 10 });
analytics.on('error', (e) => process.stdout.write(`error ${e.code} ${e.count}\n`));
analytics.on('drop', (d) => process.stdout.write(`drop ${d.reason} ${d.count}\n`));
for (let i = 0; i < Number(events); i++) {
  analytics.track({ userId: `u${i}`, event: 'Exited', messageId: `exit-${i}` });
}
if (mode === 'close') await analytics.close();
if (mode === 'flush') await analytics.flush();
process.stdout.write('done\n');
