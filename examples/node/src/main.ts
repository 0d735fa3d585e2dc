import { Analytics } from '@cdp/sdk-node';
import { buildApp } from './app.js';
import { readConfig } from './config.js';

const config = readConfig();
const analytics = new Analytics({ writeKey: config.writeKey, host: config.cdpHost });
const app = buildApp({ analytics });
let delivered = 0;
analytics.on('delivered', (d) => (delivered += d.count));

await app.listen({ port: config.port, host: '127.0.0.1' });
console.log(`example-node on http://127.0.0.1:${config.port}, sending events to ${config.cdpHost}`);

// On Ctrl-C or a stop signal: stop taking requests, then deliver what is queued.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      await app.close();
      await analytics.close({ timeoutMs: 5_000 });
      console.log(`stopped; ${delivered} events delivered`);
    })();
  });
}
