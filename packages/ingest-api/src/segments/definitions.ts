import {
  checkReferences,
  compileSegment,
  describeReferenceProblem,
  isSegmentCompileError,
  nameSchema,
  resolveSegmentSettings,
  segmentDefinitionSchema,
  segmentReferences,
  type CompiledQuery,
  type SegmentDefinition,
  type PropertyColumn,
  type SegmentSettings,
} from '@cdp/segments';
import { formatPath } from '@cdp/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { DocumentStore, type StoredDocument } from './documents.js';

/** Key of the workspace settings holding the built-ins' settings (lifecycle, RFM, churn). */
export const SEGMENT_SETTINGS_KEY = 'segments';

/** Trait keys returned with members (`memberTraits`, `?traits=`). */
export const memberTraitsSchema = z.array(nameSchema).max(50, 'at most 50 traits');

export const segmentBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2_000).default(''),
  definition: segmentDefinitionSchema,
  memberTraits: memberTraitsSchema.default([]),
});

/** What is stored as a segment's body. */
const storedSegmentSchema = segmentBodySchema.pick({ definition: true, memberTraits: true });
export type SegmentBody = z.output<typeof storedSegmentSchema>;
export type StoredSegment = StoredDocument<SegmentBody>;

export function segmentView(s: StoredSegment): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    definition: s.body.definition,
    memberTraits: s.body.memberTraits,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/**
 * Segment definitions of a workspace and their compilation. Definitions and
 * settings are read on every call: membership is computed live, and nothing
 * here is cached.
 */
export class SegmentDefinitions {
  readonly store: DocumentStore<SegmentBody>;
  readonly #registry: TenantRegistry;
  readonly #logger: Logger;
  readonly #propertyColumns: readonly PropertyColumn[];

  constructor(options: { transport: ClickHouseTransport; registry: TenantRegistry; logger: Logger; propertyColumns?: readonly PropertyColumn[] }) {
    this.store = new DocumentStore({ transport: options.transport, table: 'segments', idPrefix: 'seg_', label: 'segment', parse: (b) => storedSegmentSchema.parse(b) });
    this.#registry = options.registry;
    this.#logger = options.logger;
    this.#propertyColumns = options.propertyColumns ?? [];
  }

  /** The workspace's built-in settings; stored settings that no longer validate fall back to the defaults, loudly. */
  settings(workspaceId: string): SegmentSettings {
    const stored = this.#registry.settings(workspaceId).settings[SEGMENT_SETTINGS_KEY];
    try {
      return resolveSegmentSettings(stored ?? {});
    } catch (err) {
      this.#logger.error({ workspaceId, err: (err as Error).message }, 'stored segment settings are invalid; using defaults');
      return resolveSegmentSettings({});
    }
  }

  /**
   * Checks references (existing, no cycle, bounded depth) and that the
   * definition compiles; a problem is a 400 naming the offending part.
   */
  async validate(workspaceId: string, definition: SegmentDefinition, selfId?: string): Promise<void> {
    const lookup = await this.#lookup(workspaceId);
    const problem = checkReferences({ ...(selfId === undefined ? {} : { selfId }), definition, lookup });
    if (problem !== undefined) {
      const path = formatPath(problem.reference.path, 'definition');
      throw new ApiError('invalid_request', { message: `${path}: ${describeReferenceProblem(problem)}`, path });
    }
    this.#compile(workspaceId, definition, lookup, Date.now());
  }

  /** The membership query of a definition at `now`. */
  async compile(workspaceId: string, definition: SegmentDefinition, now = Date.now()): Promise<CompiledQuery> {
    // Only a definition that refers to other segments needs their definitions: one query fewer per count or page.
    const lookup = segmentReferences(definition).length === 0 ? () => undefined : await this.#lookup(workspaceId);
    return this.#compile(workspaceId, definition, lookup, now);
  }

  /** Segments whose definitions refer to `id`. */
  async referrers(workspaceId: string, id: string): Promise<StoredSegment[]> {
    const all = await this.store.list(workspaceId);
    return all.filter((s) => s.id !== id && segmentReferences(s.body.definition).some((r) => r.segmentId === id));
  }

  async #lookup(workspaceId: string): Promise<(id: string) => SegmentDefinition | undefined> {
    const byId = new Map((await this.store.list(workspaceId)).map((s) => [s.id, s.body.definition]));
    return (id) => byId.get(id);
  }

  #compile(workspaceId: string, definition: SegmentDefinition, lookup: (id: string) => SegmentDefinition | undefined, now: number): CompiledQuery {
    try {
      return compileSegment({ definition, workspaceId, now, settings: this.settings(workspaceId), lookup, propertyColumns: this.#propertyColumns });
    } catch (err) {
      if (!isSegmentCompileError(err)) throw err;
      const path = formatPath(err.path, 'definition');
      throw new ApiError('invalid_request', { message: `${path}: ${err.message}`, path });
    }
  }
}
