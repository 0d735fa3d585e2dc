import {
  MemoryIdentityStore,
  Resolver,
  resolveIdentityConfig,
  toResolveInput,
  type HydrationConflict,
  type Identifier,
  type IdentityConfig,
  type IdentityOptions,
  type ResolveInput,
} from '@cdp/identity-resolution';
import type { Logger } from 'pino';
import type { SuppressionList } from '../privacy/suppression.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { loadComponents } from './loader.js';
import { projectedEvent, type IdentityProjection } from './projection.js';
import { aliasRow, emptyIdentityRows, identityRow, mergeRow, profileRow, traitRow, warningRow, type IdentityRows } from './rows.js';

/** What the flusher hands over per event, in spool order. */
export interface IdentityRecordInput {
  workspaceId: string;
  messageId: string;
  type: string;
  /** Event time, epoch ms. */
  timestamp: number;
  receivedAt: string;
  projection: IdentityProjection;
}

export interface ResolvedBatch {
  /** Profile id per input record ('' when the event has no valid identifier). */
  profileIds: string[];
  rows: IdentityRows;
  /** Indexes of records carrying an erased (suppressed) identifier: not resolved, not to be stored. */
  suppressed: ReadonlySet<number>;
}

/**
 * Resolution threw on one record: a bug, since every input is valid by then. Records before it may have changed the
 * in-memory state; the caller must drop the state of the batch's workspaces (`forget`) before planning again.
 */
export class RecordResolutionError extends Error {
  override readonly name = 'RecordResolutionError';
  /** Index of the record in the `resolveBatch` input. */
  readonly index: number;

  constructor(index: number, cause: unknown) {
    // The cause's message is not repeated: it may quote an identifier (personal data) and this error is logged.
    super(`identity resolution failed on record ${index}`, { cause });
    this.index = index;
  }
}

/** Key of the workspace settings holding identity options. */
export const IDENTITY_SETTINGS_KEY = 'identity';
/** Identifiers known to be absent from ClickHouse, per workspace, before the cache is dropped. */
const ABSENT_CAPACITY = 1_000_000;

interface WorkspaceIdentity {
  settingsVersion: number;
  config: IdentityConfig;
  store: MemoryIdentityStore;
  resolver: Resolver;
  absent: Set<string>;
}

/**
 * Identity resolution for the ingestion pipeline: one resolver and one
 * in-memory store per workspace, filled lazily from ClickHouse. Called only
 * from the flusher, one batch at a time, so identity writes are serialized.
 */
export class IdentityService {
  readonly #transport: ClickHouseTransport;
  readonly #registry: TenantRegistry;
  readonly #logger: Logger;
  readonly #workspaces = new Map<string, WorkspaceIdentity>();
  readonly #suppression: SuppressionList | undefined;
  /** Workspaces whose whole identity state is in memory (see `assumeComplete`). */
  readonly #complete = new Set<string>();

  readonly #enabled: boolean;

  constructor(options: { transport: ClickHouseTransport; registry: TenantRegistry; logger: Logger; enabled?: boolean; suppression?: SuppressionList }) {
    this.#enabled = options.enabled ?? true;
    this.#transport = options.transport;
    this.#registry = options.registry;
    this.#logger = options.logger;
    this.#suppression = options.suppression;
  }

  /** The workspace's resolved identity configuration (rebuilt when its settings change). */
  workspace(workspaceId: string): WorkspaceIdentity {
    const { settings, version } = this.#registry.settings(workspaceId);
    let state = this.#workspaces.get(workspaceId);
    if (state !== undefined && state.settingsVersion === version) return state;
    const config = identityConfigOf(settings[IDENTITY_SETTINGS_KEY], this.#logger, workspaceId);
    const store = state?.store ?? new MemoryIdentityStore();
    state = { settingsVersion: version, config, store, resolver: new Resolver({ config, store }), absent: state?.absent ?? new Set() };
    this.#workspaces.set(workspaceId, state);
    return state;
  }

  /**
   * Declares that this service holds all identity state of a workspace: a new
   * workspace that only this process writes (the demo bulk loader). Identifiers
   * it does not know are then new, and ClickHouse is not asked about them.
   */
  assumeComplete(workspaceId: string): void {
    this.#complete.add(workspaceId);
  }

  /**
   * Drops a workspace's cached state, to be read again from ClickHouse (after an unmerge rewrote it there, or a
   * failed resolution left it changed); ClickHouse is asked about unknown identifiers from then on.
   */
  forget(workspaceId: string): void {
    this.#workspaces.delete(workspaceId);
    this.#complete.delete(workspaceId);
  }

  /**
   * After an erasure: forgets the profiles (the person's, every merged id, and others whose rows the erasure
   * changed: reloaded from ClickHouse when next seen) and any memory of the person's identifiers.
   */
  forgetPerson(workspaceId: string, person: { profileIds: readonly string[]; identifiers: readonly Identifier[] }): void {
    const state = this.#workspaces.get(workspaceId);
    if (state === undefined) return;
    state.store.evict(person.profileIds);
    for (const id of person.identifiers) state.absent.delete(`${id.type}:${id.value}`);
  }

  /**
   * Resolves a batch. All reads happen first; the in-memory state changes only
   * after they succeeded, so a failed attempt can be retried as if new.
   */
  async resolveBatch(records: readonly IdentityRecordInput[]): Promise<ResolvedBatch> {
    if (!this.#enabled) return { profileIds: records.map(() => ''), rows: emptyIdentityRows(), suppressed: this.#suppressedOnly(records) };
    const inputs: ResolveInput[] = new Array<ResolveInput>(records.length);
    const suppressed = new Set<number>();
    const byWorkspace = new Map<string, Identifier[]>();
    // Batches are mostly one workspace: its state is looked up when the workspace changes, not per event.
    let current: { id: string; ws: WorkspaceIdentity; wanted: Identifier[]; suppressing: boolean } | undefined;
    let index = 0;
    try {
      for (; index < records.length; index++) {
        const r = records[index] as IdentityRecordInput;
        if (current?.id !== r.workspaceId) {
          let wanted = byWorkspace.get(r.workspaceId);
          if (wanted === undefined) byWorkspace.set(r.workspaceId, (wanted = []));
          const suppressing = this.#suppression?.active(r.workspaceId) === true;
          current = { id: r.workspaceId, ws: this.workspace(r.workspaceId), wanted, suppressing };
        }
        const { ws, wanted } = current;
        const input = toResolveInput(projectedEvent(r), ws.config);
        inputs[index] = input;
        // An erased person's identifiers never reach the graph again (checked on normalized values).
        if (current.suppressing && this.#suppression?.suppressesInput(r.workspaceId, input, ws.config, (id) => ws.store.owner(id) !== undefined) === true) {
          suppressed.add(index);
          continue;
        }
        for (const id of input.identifiers) if (ws.store.owner(id) === undefined) wanted.push(id);
        if (input.previousId !== undefined) {
          // An alias's previousId is typed by what the store knows it as: load both readings.
          for (const type of ['user_id', 'anonymous_id']) {
            const id = { type, value: input.previousId };
            if (ws.store.owner(id) === undefined) wanted.push(id);
          }
        }
      }
    } catch (err) {
      throw new RecordResolutionError(index, err);
    }
    const conflictRows: string[] = [];
    const loaded = await Promise.all(
      [...byWorkspace].map(async ([workspaceId, wanted]) => {
        const ws = this.workspace(workspaceId);
        const unknown = this.#complete.has(workspaceId) ? [] : dedupe(wanted.filter((id) => !ws.absent.has(`${id.type}:${id.value}`)));
        return { ws, workspaceId, unknown, ...(await loadComponents(this.#transport, workspaceId, unknown)) };
      }),
    );
    for (const { ws, unknown, records: persisted, found, followedMerges, workspaceId } of loaded) {
      if (followedMerges > 0) {
        this.#logger.warn({ workspaceId, profiles: followedMerges }, 'profile_aliases lacks merged profiles; found their survivors through profile_merges');
      }
      // Records that contradict each other (a bug, or two writers) are left out, the earliest kept, rather than
      // failing the batch: a failed batch is retried forever and holds back every workspace's events.
      const conflicts = ws.store.hydrate(persisted, { onConflict: 'skip' });
      if (conflicts.length > 0) conflictRows.push(...this.#reportConflicts(workspaceId, conflicts));
      if (ws.absent.size > ABSENT_CAPACITY) ws.absent.clear();
      for (const id of unknown) {
        const key = `${id.type}:${id.value}`;
        if (!found.has(key)) ws.absent.add(key);
      }
    }
    const resolved = this.#resolve(records, inputs, suppressed);
    resolved.rows.warnings.push(...conflictRows);
    return resolved;
  }

  /**
   * A warning with counts only, and the `identity_conflict` rows to store (profile ids and message ids, never
   * identifier values), stamped with the time the conflict was found.
   */
  #reportConflicts(workspaceId: string, conflicts: readonly HydrationConflict[]): string[] {
    const counts: Record<string, number> = {};
    const receivedAt = new Date().toISOString();
    const rows: string[] = [];
    for (const c of conflicts) {
      const key = `${c.kind}_${c.reason}`;
      counts[key] = (counts[key] ?? 0) + 1;
      const detail = c.kind === 'merge' ? `${c.from} -> ${c.into}` : c.kind === 'attachment' ? c.profileId : `${c.key} of ${c.profileId}`;
      rows.push(warningRow(workspaceId, { messageId: c.messageId, receivedAt, warning: 'identity_conflict', type: c.kind === 'attachment' ? c.type : '', reason: `${c.kind}_${c.reason}`, detail }));
    }
    this.#logger.warn({ workspaceId, conflicts: counts }, 'identity records in ClickHouse contradict each other; kept the earliest, left the others out (identity_warnings)');
    return rows;
  }

  /** With resolution off, erased identifiers are still kept out: the same check, nothing else. */
  #suppressedOnly(records: readonly IdentityRecordInput[]): Set<number> {
    const suppressed = new Set<number>();
    let index = 0;
    try {
      for (; index < records.length; index++) {
        const r = records[index] as IdentityRecordInput;
        if (this.#suppression?.active(r.workspaceId) !== true) continue;
        const { config } = this.workspace(r.workspaceId);
        const input = toResolveInput(projectedEvent(r), config);
        if (this.#suppression.suppressesInput(r.workspaceId, input, config, () => false)) suppressed.add(index);
      }
    } catch (err) {
      throw new RecordResolutionError(index, err);
    }
    return suppressed;
  }

  #resolve(records: readonly IdentityRecordInput[], inputs: readonly ResolveInput[], suppressed: ReadonlySet<number>): ResolvedBatch {
    const rows = emptyIdentityRows();
    const profileIds: string[] = [];
    const touched = new Map<string, Set<string>>();
    let current: { id: string; ws: WorkspaceIdentity } | undefined;
    let i = 0;
    try {
      for (; i < records.length; i++) {
        const r = records[i] as IdentityRecordInput;
        if (suppressed.has(i)) {
          profileIds.push('');
          continue;
        }
        // Batches are mostly one workspace: its state is looked up when the workspace changes, as in resolveBatch.
        if (current?.id !== r.workspaceId) current = { id: r.workspaceId, ws: this.workspace(r.workspaceId) };
        const result = current.ws.resolver.resolve(inputs[i] as ResolveInput);
        profileIds.push(result.profileId ?? '');
        const w = r.workspaceId;
        if (result.createdProfile !== undefined) rows.profiles.push(profileRow(w, result.createdProfile));
        for (const a of result.attached) rows.identities.push(identityRow(w, a));
        for (const m of result.merges) {
          rows.merges.push(mergeRow(w, m));
          let set = touched.get(w);
          if (set === undefined) touched.set(w, (set = new Set()));
          set.add(m.into);
        }
        for (const t of result.traits) rows.traits.push(traitRow(w, t));
        for (const d of result.dropped) {
          rows.warnings.push(warningRow(w, { messageId: r.messageId, receivedAt: r.receivedAt, warning: 'identifier_dropped', type: d.type, reason: d.reason, detail: d.detail }));
        }
        if (result.profileId === null && !result.duplicate) {
          rows.warnings.push(warningRow(w, { messageId: r.messageId, receivedAt: r.receivedAt, warning: 'no_valid_identifier', type: '', reason: '', detail: '' }));
        }
      }
    } catch (err) {
      throw new RecordResolutionError(i, err);
    }
    // Flattened alias map: every id merged into a survivor points straight at it.
    for (const [w, survivors] of touched) {
      const ws = this.workspace(w);
      const done = new Set<string>();
      for (const s of survivors) {
        const canonical = ws.store.canonical(s);
        if (done.has(canonical)) continue;
        done.add(canonical);
        for (const id of ws.store.mergedIds(canonical)) rows.aliases.push(aliasRow(w, id, canonical));
      }
    }
    return { profileIds, rows, suppressed };
  }
}

/** Identifiers without repeats, in first-seen order. */
export function dedupe(ids: Identifier[]): Identifier[] {
  const seen = new Set<string>();
  return ids.filter((id) => {
    const key = `${id.type}:${id.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Identity options are validated when an admin writes them; a workspace whose
 * stored options no longer validate (e.g. after an upgrade) falls back to the
 * defaults loudly rather than stopping ingestion for everyone.
 */
function identityConfigOf(options: unknown, logger: Logger, workspaceId: string): IdentityConfig {
  try {
    return resolveIdentityConfig((options ?? {}) as IdentityOptions);
  } catch (err) {
    logger.error({ workspaceId, err: (err as Error).message }, 'stored identity options are invalid; using defaults');
    return resolveIdentityConfig({});
  }
}
