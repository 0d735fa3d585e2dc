import type { Logger } from 'pino';
import type { AuditLog } from '../audit/log.js';
import type { IdentityService } from '../identity/service.js';
import type { ExclusiveContext } from '../pipeline/flusher.js';
import type { ComputedTraitsOf } from '../profiles/queries.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { buildAccessExport } from './access.js';
import { executeErasure, planErasure, type ErasurePlan } from './erasure.js';
import { PrivacyRequestStore, type PrivacyRequest, type PrivacyRequestType } from './requests.js';
import { saltedHash, type WorkspaceSalts } from './salts.js';
import { parseSubjectText, subjectText, type Subject } from './scope.js';
import { suppressionHash, type SuppressionList } from './suppression.js';

/** Attempts before a request that keeps failing is marked failed (it never fails for a shutdown). */
const MAX_ATTEMPTS = 3;
const RETRY_DELAY_MS = 2_000;

/**
 * Data-subject requests: accepted durably, then run one at a time inside
 * `flusher.exclusive` (serialized with identity writes and batches). Requests
 * a crash interrupted are resumed by `resume()` at start.
 */
export class PrivacyService {
  readonly #t: ClickHouseTransport;
  readonly #identity: IdentityService;
  readonly #suppression: SuppressionList;
  readonly #salts: WorkspaceSalts;
  readonly #audit: AuditLog;
  readonly #logger: Logger;
  readonly #exclusive: <T>(fn: (ctx: ExclusiveContext) => Promise<T>) => Promise<T>;
  readonly #computedTraits: ComputedTraitsOf | undefined;
  readonly store: PrivacyRequestStore;
  readonly #queue: PrivacyRequest[] = [];
  readonly #failures = new Map<string, number>();
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: {
    transport: ClickHouseTransport;
    identity: IdentityService;
    suppression: SuppressionList;
    salts: WorkspaceSalts;
    audit: AuditLog;
    logger: Logger;
    exclusive: <T>(fn: (ctx: ExclusiveContext) => Promise<T>) => Promise<T>;
    /** Computed traits, exported with the profile of an access request. */
    computedTraits?: ComputedTraitsOf;
  }) {
    this.#t = options.transport;
    this.#identity = options.identity;
    this.#suppression = options.suppression;
    this.#salts = options.salts;
    this.#audit = options.audit;
    this.#logger = options.logger;
    this.#exclusive = options.exclusive;
    this.#computedTraits = options.computedTraits;
    this.store = new PrivacyRequestStore(options.transport);
  }

  /** Accepts a request: durable when this resolves. */
  async submit(input: { workspaceId: string; type: PrivacyRequestType; subject: Subject; keyId: string }): Promise<PrivacyRequest> {
    const request = await this.store.create({
      workspaceId: input.workspaceId,
      type: input.type,
      subject: subjectText(input.subject),
      subjectHash: await this.subjectHash(input.workspaceId, input.subject),
      keyId: input.keyId,
    });
    this.#enqueue(request);
    return request;
  }

  /** The salted hash recorded for a subject (for identifiers, the hash the suppression list holds). */
  async subjectHash(workspaceId: string, subject: Subject): Promise<string> {
    const salt = await this.#salts.ensure(workspaceId);
    return 'profileId' in subject ? saltedHash(salt, subjectText(subject)) : suppressionHash(salt, subject.identifier);
  }

  /** Queues the requests a crash or shutdown left unfinished. */
  async resume(): Promise<number> {
    const unfinished = await this.store.unfinished();
    for (const r of unfinished) this.#enqueue(r);
    if (unfinished.length > 0) this.#logger.warn({ requests: unfinished.length }, 'resuming privacy requests');
    return unfinished.length;
  }

  /** Stops taking requests from the queue (what is left resumes at the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  #enqueue(request: PrivacyRequest): void {
    this.#queue.push(request);
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const request = this.#queue.shift();
      if (request === undefined) return;
      try {
        await this.#exclusive((ctx) => this.#run(request, ctx));
        this.#failures.delete(request.requestId);
      } catch (err) {
        if (this.#closed) return;
        await this.#failed(request, err as Error);
      }
    }
  }

  async #failed(request: PrivacyRequest, err: Error): Promise<void> {
    const failures = (this.#failures.get(request.requestId) ?? 0) + 1;
    this.#failures.set(request.requestId, failures);
    this.#logger.error({ requestId: request.requestId, type: request.type, attempt: failures, err: err.message }, 'privacy request failed');
    if (failures < MAX_ATTEMPTS) {
      await sleep(RETRY_DELAY_MS * failures);
      // The latest version: a running erasure keeps its plan.
      this.#queue.unshift((await this.store.get(request.workspaceId, request.requestId)) ?? request);
      return;
    }
    this.#failures.delete(request.requestId);
    await this.store.finish(request, { status: 'failed', error: err.message.slice(0, 2_000) });
    await this.#recordCompletion(request, 'error', { error: err.message.slice(0, 2_000) });
  }

  async #run(request: PrivacyRequest, ctx: ExclusiveContext): Promise<void> {
    const { workspaceId: w, requestId } = request;
    const subject = parseSubjectText(request.subject);
    let result: Record<string, unknown>;
    if (request.type === 'erasure') {
      let current = request;
      if (current.plan === '') {
        const plan = await planErasure(this.#t, w, subject);
        // The plan is durable before the first deletion: a resumed erasure deletes exactly the same.
        current = await this.store.update(current, { status: 'running', plan: JSON.stringify(plan), attempts: current.attempts + 1 });
      } else {
        current = await this.store.update(current, { attempts: current.attempts + 1 });
      }
      const plan = JSON.parse(current.plan) as ErasurePlan;
      result = { ...(await executeErasure({ transport: this.#t, identity: this.#identity, suppression: this.#suppression, ctx, workspaceId: w, requestId, plan })) };
      await this.store.finish(current, { status: 'done', result });
    } else {
      const current = await this.store.update(request, { status: 'running', attempts: request.attempts + 1 });
      // Everything acknowledged before the request is in the export.
      await ctx.drainSpool();
      // A previous attempt may have written part of the export.
      await this.#t.command('DELETE FROM privacy_exports WHERE workspace_id = {w:String} AND request_id = {r:String}', { w, r: requestId });
      result = { ...(await buildAccessExport({ transport: this.#t, workspaceId: w, requestId, subject, computedTraits: this.#computedTraits })) };
      await this.store.finish(current, { status: 'done', result });
    }
    await this.#recordCompletion(request, 'ok', result);
    this.#logger.info({ requestId, type: request.type, workspaceId: w }, 'privacy request done');
  }

  async #recordCompletion(request: PrivacyRequest, outcome: 'ok' | 'error', details: Record<string, unknown>): Promise<void> {
    await this.#audit.append({
      workspaceId: request.workspaceId,
      keyId: request.keyId,
      action: `privacy.${request.type}.complete`,
      target: request.requestId,
      details: { subjectHash: request.subjectHash, ...details },
      outcome,
      status: 0,
      errorCode: outcome === 'ok' ? '' : 'internal_error',
      requestId: request.requestId,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
