import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ADMIN_KEY_ID, adminRoutes } from './admin/routes.js';
import { adminAuditActions } from './audit/admin-actions.js';
import { auditRequests } from './audit/hook.js';
import { AuditLog } from './audit/log.js';
import { registerAuditRoutes } from './audit/routes.js';
import { resolveOptions, type Options, type ResolvedOptions } from './config/options.js';
import { createLogger } from './http/logger.js';
import { Metrics } from './http/metrics.js';
import { createFastify } from './http/server.js';
import { ingestRoutes } from './ingest/routes.js';
import { profileRoutes } from './profiles/routes.js';
import { ComputedTraits, computedTraitRoutes } from './segments/computed-traits.js';
import { SegmentDefinitions } from './segments/definitions.js';
import { segmentRoutes } from './segments/routes.js';
import { IdentityService } from './identity/service.js';
import { IdentityJobs } from './identity/unmerge.js';
import { Flusher } from './pipeline/flusher.js';
import { registerPrivacyAdmin } from './privacy/admin-routes.js';
import { flushPrivacy } from './privacy/pipeline.js';
import { PrivacyPolicies } from './privacy/policy.js';
import { privacyRoutes } from './privacy/routes.js';
import { saltedHash, WorkspaceSalts } from './privacy/salts.js';
import { PrivacyService } from './privacy/service.js';
import { SuppressionList } from './privacy/suppression.js';
import { Spool } from './spool/spool.js';
import { openStore } from './storage/open.js';
import { ensureEventProjection } from './storage/event-projection.js';
import { ensurePropertyColumns } from './storage/property-columns.js';
import type { ClickHouseTransport } from './storage/transport.js';
import { TenantRegistry } from './tenancy/registry.js';

export interface App {
  readonly options: ResolvedOptions;
  readonly fastify: FastifyInstance;
  readonly store: ClickHouseTransport;
  readonly registry: TenantRegistry;
  readonly logger: Logger;
  /** Resolves when everything acknowledged so far is committed to ClickHouse. */
  flush(): Promise<void>;
  /** Starts listening; returns the base URL. */
  listen(): Promise<string>;
  /** Graceful stop: refuse new requests, finish in-flight ones, flush the spool, close the store. */
  close(): Promise<void>;
}

export interface CreateAppOptions extends Options {
  /** A logger to use instead of creating one (tests pass a silent or capturing one). */
  logger?: Logger;
}

const KEY_REFRESH_MS = 30_000;

export async function createApp(input: CreateAppOptions = {}): Promise<App> {
  const { logger: givenLogger, ...rest } = input;
  const options = resolveOptions(rest);
  const logger = givenLogger ?? createLogger({ level: options.logLevel });
  const store = await openStore(options);
  let spool: Spool | undefined;
  try {
    const propertyColumns = await ensurePropertyColumns(store, options.propertyColumns);
    await ensureEventProjection(store, propertyColumns);
    const registry = await TenantRegistry.load(store);
    await registry.ensureEnvKeys({ writeKey: options.writeKey, secretKey: options.secretKey });
    spool = await Spool.open({ dir: join(options.dataDir, 'spool'), ...options.spool });
    const salts = await WorkspaceSalts.load(store);
    const suppression = await SuppressionList.load(store, salts);
    const policies = new PrivacyPolicies({ registry, salts, logger: logger.child({ component: 'privacy' }) });
    const identity = new IdentityService({
      transport: store,
      registry,
      logger: logger.child({ component: 'identity' }),
      enabled: options.identityResolution,
      suppression,
    });
    const flusher = new Flusher({
      spool,
      transport: store,
      identity,
      logger: logger.child({ component: 'flusher' }),
      privacy: flushPrivacy({ policies, suppression, identity }),
      ...options.flush,
    });
    const jobs = new IdentityJobs({
      transport: store,
      registry,
      identity,
      logger: logger.child({ component: 'identity-jobs' }),
      exclusive: (fn) => flusher.exclusive(fn),
    });
    // Plans interrupted by a crash are finished before any new batch is resolved.
    await jobs.resume();
    const audit = new AuditLog({ transport: store, logger: logger.child({ component: 'audit' }) });
    const computed = new ComputedTraits({ transport: store, propertyColumns });
    const computedTraits = (w: string, ids: readonly string[]) => computed.forProfile(w, ids);
    const privacy = new PrivacyService({
      computedTraits,
      transport: store,
      identity,
      suppression,
      salts,
      audit,
      logger: logger.child({ component: 'privacy' }),
      exclusive: (fn) => flusher.exclusive(fn),
    });
    // Data-subject requests accepted before a crash are queued; they run once the flusher starts.
    await privacy.resume();
    flusher.start();
    void flusher.dedup.load(logger.child({ component: 'dedup' }));
    const metrics = new Metrics();
    const fastify = createFastify({ logger, trustProxy: options.trustProxy, bodyLimit: 1024 * 1024 });
    const liveSpool = spool;
    await fastify.register(async (scope) => ingestRoutes(scope, { registry, spool: liveSpool, options, metrics, privacy: policies }));
    await fastify.register(async (scope) => {
      auditRequests(scope, {
        audit,
        // The admin scope's auth hook answers these before any route runs: not an admin action.
        who: (_req, code) => (code === 'invalid_admin_key' || code === 'admin_disabled' ? undefined : ADMIN_KEY_ID),
        actions: adminAuditActions({ hashValue: async (ws, text) => saltedHash(await salts.ensure(ws), text) }),
      });
      await adminRoutes(scope, { options, registry, transport: store, jobs });
      registerPrivacyAdmin(scope, { registry, transport: store, salts, policies });
      registerAuditRoutes(scope, { audit });
    });
    await fastify.register(async (scope) => privacyRoutes(scope, { registry, transport: store, identity, privacy, audit }));
    const definitions = new SegmentDefinitions({ transport: store, registry, propertyColumns, logger: logger.child({ component: 'segments' }) });
    await fastify.register(async (scope) =>
      profileRoutes(scope, { registry, transport: store, identity, computedTraits }),
    );
    await fastify.register(async (scope) => segmentRoutes(scope, { registry, transport: store, definitions }));
    await fastify.register(async (scope) => computedTraitRoutes(scope, { registry, computed }));
    registerHealth(fastify, { store, spool: liveSpool, flusher, metrics, maxBacklogBytes: options.spool.maxBacklogBytes });

    const refresh = setInterval(() => {
      registry.refresh().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'key refresh failed'));
    }, KEY_REFRESH_MS);
    refresh.unref();

    let closing: Promise<void> | undefined;
    return {
      options,
      fastify,
      store,
      registry,
      logger,
      flush: () => flusher.drain(),
      async listen() {
        return fastify.listen({ host: options.host, port: options.port });
      },
      close() {
        closing ??= (async () => {
          clearInterval(refresh);
          await fastify.close();
          await liveSpool.closeWriter();
          await privacy.close();
          await flusher.stop(options.shutdownTimeoutMs);
          await liveSpool.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await spool?.close().catch(() => undefined);
    await store.close();
    throw err;
  }
}

function registerHealth(
  app: FastifyInstance,
  deps: { store: ClickHouseTransport; spool: Spool; flusher: Flusher; metrics: Metrics; maxBacklogBytes: number },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready = can accept events durably. ClickHouse being down does not stop
  // ingestion (the spool holds events), but it is reported with the lag so
  // that a stalled pipeline is visible, not silent.
  app.get('/readyz', async (_req, reply) => {
    const clickhouse = await deps.store.ping().catch(() => false);
    const status = deps.flusher.status;
    const body = {
      status: 'ready',
      clickhouse: clickhouse ? 'up' : 'down',
      flushing: status.failing ? 'failing' : 'ok',
      spool: { backlogBytes: deps.spool.backlogBytes, lagMs: deps.spool.lagMs },
    };
    if (deps.spool.backlogBytes > deps.maxBacklogBytes) {
      reply.code(503);
      return { ...body, status: 'spool_full' };
    }
    return body;
  });
  app.get('/metrics', async (_req, reply) => {
    const s = deps.flusher.status;
    reply.type('text/plain; version=0.0.4');
    return deps.metrics.render({
      counters: {
        cdp_events_inserted_total: s.insertedEvents,
        cdp_events_duplicates_total: s.duplicates,
        cdp_dead_letters_inserted_total: s.deadLetters,
        cdp_events_suppressed_total: s.suppressed,
      },
      gauges: {
        cdp_spool_backlog_bytes: deps.spool.backlogBytes,
        cdp_spool_lag_ms: deps.spool.lagMs,
        cdp_flush_failing: s.failing ? 1 : 0,
      },
    });
  });
}
