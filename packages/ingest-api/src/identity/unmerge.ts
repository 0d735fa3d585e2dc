import { randomUUID } from 'node:crypto';
import {
  affectedProfiles,
  normalizeIdentifier,
  ownedOutside,
  recompute,
  type Identifier,
  type IdentityOptions,
  type RecomputedRecords,
  type ResolvableEvent,
} from '@cdp/identity-resolution';
import type { Logger } from 'pino';
import { refreshActivity } from '../storage/activity.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { loadComponents } from './loader.js';
import { aliasRow, identityRow, mergeRow, profileRow, traitRow } from './rows.js';
import { IDENTITY_SETTINGS_KEY, type IdentityService } from './service.js';
import { nextVersion } from './version.js';

export interface UnmergeRequest {
  workspaceId: string;
  /** Without a type, the value is blocked for every identifier type. */
  identifier: { type?: string; value: string };
  /** The admin credential that asked (for the record). */
  keyId: string;
}

export interface UnmergeResult {
  jobId: string;
  status: 'done';
  blocked: { type?: string; value: string };
  /** Profile ids whose events were replayed (the glued profiles and every id merged into them). */
  affectedProfiles: string[];
  /** Surviving profiles after the replay. */
  profiles: string[];
  eventsReplayed: number;
  eventsReassigned: number;
}

/** Everything needed to apply an unmerge, stored before it is applied. */
interface UnmergePlan {
  oldIds: string[];
  records: RecomputedRecords;
  aliases: Array<[string, string]>;
  /** [messageId, new profile id] for events whose profile changes. */
  moves: Array<[string, string]>;
  result: UnmergeResult;
}

interface StoredEvent {
  message_id: string;
  type: string;
  user_id: string;
  anonymous_id: string;
  previous_id: string;
  traits: string;
  context: string;
  ts: number;
}

/**
 * Unmerge: block an identifier for a workspace and recompute the profiles it
 * glued together by replaying their events in their original order (the
 * pipeline's ingest_seq). Runs inside the flusher (no batch resolves beside
 * it); the plan is stored in identity_jobs before it is applied, and a plan
 * interrupted by a crash is applied again at the next start.
 */
export class IdentityJobs {
  readonly #t: ClickHouseTransport;
  readonly #registry: TenantRegistry;
  readonly #identity: IdentityService;
  readonly #logger: Logger;
  readonly #exclusive: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(options: {
    transport: ClickHouseTransport;
    registry: TenantRegistry;
    identity: IdentityService;
    logger: Logger;
    exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  }) {
    this.#t = options.transport;
    this.#registry = options.registry;
    this.#identity = options.identity;
    this.#logger = options.logger;
    this.#exclusive = options.exclusive;
  }

  async unmerge(request: UnmergeRequest): Promise<UnmergeResult> {
    return this.#exclusive(async () => {
      const { workspaceId } = request;
      const before = this.#identity.workspace(workspaceId).config;
      const types = request.identifier.type === undefined ? [...before.types.keys()] : [request.identifier.type];
      // Normalized under the configuration before the block (after it, the value no longer normalizes).
      const targets: Identifier[] = [];
      for (const type of types) {
        const n = normalizeIdentifier(type, request.identifier.value, before);
        if (n.ok) targets.push(n.identifier);
      }
      const current = (this.#registry.settings(workspaceId).settings[IDENTITY_SETTINGS_KEY] ?? {}) as IdentityOptions;
      const entry = request.identifier.type === undefined ? request.identifier.value : { type: request.identifier.type, value: request.identifier.value };
      await this.#registry.putSetting(workspaceId, IDENTITY_SETTINGS_KEY, { ...current, blocklist: [...(current.blocklist ?? []), entry] });

      const ws = this.#identity.workspace(workspaceId);
      ws.store.hydrate((await loadComponents(this.#t, workspaceId, targets.filter((id) => ws.store.owner(id) === undefined))).records);
      const affected = affectedProfiles({ store: ws.store, config: before, identifiers: targets });
      const jobId = `job_${randomUUID()}`;
      const events = affected.allIds.length === 0 ? [] : await this.#events(workspaceId, [...affected.allIds]);
      const replay = recompute({ config: ws.config, events, isForeign: ownedOutside(ws.store, affected) });
      const stored = new Map(events.map((e) => [e.messageId, (e as ResolvableEvent & { storedProfile: string }).storedProfile]));
      const moves: Array<[string, string]> = [];
      for (const a of replay.assignments) {
        const next = a.profileId ?? '';
        if (stored.get(a.messageId) !== next) moves.push([a.messageId, next]);
      }
      const aliases: Array<[string, string]> = [];
      for (const id of replay.store.profileIds()) {
        for (const merged of replay.store.mergedIds(id)) aliases.push([merged, id]);
      }
      const result: UnmergeResult = {
        jobId,
        status: 'done',
        blocked: request.identifier,
        affectedProfiles: [...affected.allIds],
        profiles: [...replay.store.profileIds()].sort(),
        eventsReplayed: events.length,
        eventsReassigned: moves.length,
      };
      const plan: UnmergePlan = { oldIds: [...affected.allIds], records: replay.records, aliases, moves, result };
      await this.#record(workspaceId, jobId, 'planned', { request, plan, keyId: request.keyId });
      await this.#apply(workspaceId, plan);
      ws.store.evict(affected.allIds);
      ws.store.hydrate(replay.records);
      await this.#record(workspaceId, jobId, 'done', { request, plan, keyId: request.keyId });
      this.#logger.info({ workspaceId, jobId, affected: affected.allIds.length, moved: moves.length }, 'unmerge applied');
      return result;
    });
  }

  /** Finishes plans a crash interrupted. Called at start, before ingestion resumes. */
  async resume(): Promise<number> {
    const pending = await this.#t.query<{ workspace_id: string; job_id: string; request: string; plan: string; key_id: string }>(
      `SELECT workspace_id, job_id, argMax(request, version) AS request, argMax(plan, version) AS plan, argMax(key_id, version) AS key_id
       FROM identity_jobs GROUP BY workspace_id, job_id HAVING argMax(status, version) = 'planned'`,
    );
    for (const job of pending) {
      const plan = JSON.parse(job.plan) as UnmergePlan;
      await this.#apply(job.workspace_id, plan);
      this.#identity.forget(job.workspace_id);
      await this.#record(job.workspace_id, job.job_id, 'done', { request: JSON.parse(job.request) as UnmergeRequest, plan, keyId: job.key_id });
      this.#logger.warn({ workspaceId: job.workspace_id, jobId: job.job_id }, 'interrupted unmerge finished');
    }
    return pending.length;
  }

  async #events(workspaceId: string, ids: string[]): Promise<Array<ResolvableEvent & { storedProfile: string }>> {
    const rows = await this.#t.query<StoredEvent & { profile_id: string }>(
      `SELECT message_id, type, user_id, anonymous_id, previous_id, traits, context, profile_id,
              toUnixTimestamp64Milli(timestamp) AS ts
       FROM events WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
       ORDER BY ingest_seq, message_id`,
      { w: workspaceId, ids },
    );
    return rows.map((r) => ({
      messageId: r.message_id,
      timestamp: Number(r.ts),
      type: r.type,
      ...(r.user_id === '' ? {} : { userId: r.user_id }),
      ...(r.anonymous_id === '' ? {} : { anonymousId: r.anonymous_id }),
      ...(r.previous_id === '' ? {} : { previousId: r.previous_id }),
      ...(r.type === 'identify' || r.type === 'group' ? { traits: JSON.parse(r.traits) as unknown } : {}),
      context: JSON.parse(r.context) as unknown,
      storedProfile: r.profile_id,
    }));
  }

  /** Idempotent: applying a plan twice leaves the same state. */
  async #apply(workspaceId: string, plan: UnmergePlan): Promise<void> {
    const w = workspaceId;
    if (plan.moves.length > 0) {
      // Sort-key columns cannot be updated: copy each moved event under its new profile, then
      // delete the old row. The copy skips events already copied, so a re-run adds nothing.
      const params = { w, old: plan.oldIds, mids: plan.moves.map((m) => m[0]), pids: plan.moves.map((m) => m[1]) };
      const next = 'transform(message_id, {mids:Array(String)}, {pids:Array(String)}, profile_id)';
      await this.#t.command(
        // The filter sits in an inner query: next to `REPLACE (... AS profile_id)`, a WHERE on
        // profile_id would read the replacement. insert_deduplicate = 0: a copy is never an
        // earlier identical block.
        `INSERT INTO events SETTINGS insert_deduplicate = 0
         SELECT * EXCEPT (new_profile_id) REPLACE (new_profile_id AS profile_id)
         FROM (
           SELECT *, ${next} AS new_profile_id FROM events
           WHERE workspace_id = {w:String} AND profile_id IN {old:Array(String)} AND message_id IN {mids:Array(String)}
             AND ${next} != profile_id
             AND (message_id, ${next}) NOT IN (
               SELECT message_id, profile_id FROM events WHERE workspace_id = {w:String} AND message_id IN {mids:Array(String)}))`,
        params,
      );
      await this.#t.command(
        `DELETE FROM events
         WHERE workspace_id = {w:String} AND profile_id IN {old:Array(String)} AND message_id IN {mids:Array(String)}
           AND profile_id != ${next}`,
        params,
      );
      // The copies' profiles gained activity through the view; the old ones lost events: recompute both.
      await refreshActivity(this.#t, w, [...new Set([...plan.oldIds, ...plan.moves.map((m) => m[1]).filter((id) => id !== '')])]);
    }
    // Retire every row of the old profiles, then write the recomputed ones (newer versions win,
    // also where the replay reused an id).
    const scope = { w, ids: plan.oldIds };
    const [profiles, attachments, merges, aliases, traits] = await Promise.all([
      this.#t.query<{ profile_id: string }>('SELECT DISTINCT profile_id FROM profiles WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}', scope),
      this.#t.query<{ id_type: string; id_value: string; owner: string }>(
        `SELECT id_type, id_value, argMax(profile_id, version) AS owner FROM identities
         WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)} GROUP BY id_type, id_value`,
        scope,
      ),
      this.#t.query<{ from_profile: string; into: string }>(
        `SELECT from_profile, argMax(into_profile, version) AS into FROM profile_merges
         WHERE workspace_id = {w:String} AND from_profile IN {ids:Array(String)} GROUP BY from_profile`,
        scope,
      ),
      this.#t.query<{ profile_id: string }>('SELECT DISTINCT profile_id FROM profile_aliases WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}', scope),
      this.#t.query<{ profile_id: string; key: string }>('SELECT DISTINCT profile_id, key FROM profile_traits WHERE workspace_id = {w:String} AND profile_id IN {ids:Array(String)}', scope),
    ]);
    const at = Date.now();
    const retire = {
      profiles: profiles.map((p) => profileRow(w, { profileId: p.profile_id, createdAt: at, createdBy: '' }, 1)),
      identities: attachments.map((a) => identityRow(w, { type: a.id_type, value: a.id_value, profileId: a.owner, messageId: '', at }, 1)),
      profile_merges: merges.map((m) => mergeRow(w, { from: m.from_profile, into: m.into, byMessageId: '', at }, 1)),
      profile_aliases: aliases.map((a) => aliasRow(w, a.profile_id, '', 1)),
      profile_traits: traits.map((t) => traitRow(w, { profileId: t.profile_id, key: t.key, value: null, at, messageId: '', once: false }, 1)),
    };
    const fresh = {
      profiles: plan.records.profiles.map((p) => profileRow(w, p)),
      identities: plan.records.attachments.map((a) => identityRow(w, a)),
      profile_merges: plan.records.merges.map((m) => mergeRow(w, m)),
      profile_aliases: plan.aliases.map(([id, survivor]) => aliasRow(w, id, survivor)),
      profile_traits: plan.records.traits.map((t) => traitRow(w, t)),
    };
    for (const rows of [retire, fresh]) {
      for (const [table, lines] of Object.entries(rows)) {
        if (lines.length > 0) await this.#t.insert({ table, rows: lines.join('\n') });
      }
    }
  }

  async #record(workspaceId: string, jobId: string, status: 'planned' | 'done', job: { request: UnmergeRequest; plan: UnmergePlan; keyId: string }): Promise<void> {
    const now = new Date().toISOString();
    await this.#t.insert({
      table: 'identity_jobs',
      rows: JSON.stringify({
        workspace_id: workspaceId,
        job_id: jobId,
        kind: 'unmerge',
        status,
        request: JSON.stringify(job.request),
        plan: JSON.stringify(job.plan),
        result: JSON.stringify(job.plan.result),
        key_id: job.keyId,
        created_at: now,
        updated_at: now,
        version: nextVersion(),
      }),
    });
  }
}
