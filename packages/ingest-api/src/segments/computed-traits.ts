import {
  compileComputedTraits,
  computedTraitDefinitionSchema,
  computedTraitNameSchema,
  decodeComputedTraits,
  type ComputedTraitDefinition,
  type PropertyColumn,
} from '@cdp/segments';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { requireSecretKey } from '../http/auth.js';
import { parseInput } from '../http/validation.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { DocumentStore, documentParams, type StoredDocument } from './documents.js';

/** Computed traits per workspace: each is one more column of the profile's query. */
const MAX_COMPUTED_TRAITS = 100;

const body = z.strictObject({
  name: computedTraitNameSchema,
  description: z.string().max(2_000).default(''),
  definition: computedTraitDefinitionSchema,
});

type StoredTrait = StoredDocument<ComputedTraitDefinition>;

const view = (t: StoredTrait) => ({ id: t.id, name: t.name, description: t.description, definition: t.body, createdAt: t.createdAt, updatedAt: t.updatedAt });

/**
 * Computed traits: definitions stored per workspace, values computed from the
 * events whenever a profile is read (so they are never stale).
 */
export class ComputedTraits {
  readonly store: DocumentStore<ComputedTraitDefinition>;
  readonly #t: ClickHouseTransport;
  readonly #propertyColumns: readonly PropertyColumn[];

  constructor(options: { transport: ClickHouseTransport; propertyColumns?: readonly PropertyColumn[] }) {
    this.#t = options.transport;
    this.#propertyColumns = options.propertyColumns ?? [];
    this.store = new DocumentStore({
      transport: options.transport,
      table: 'computed_traits',
      idPrefix: 'ct_',
      label: 'computed trait',
      parse: (b) => computedTraitDefinitionSchema.parse(b),
    });
  }

  /** Every computed trait of the workspace for the profile made of `profileIds` (survivor + merged ids). */
  async forProfile(workspaceId: string, profileIds: readonly string[]): Promise<Record<string, unknown>> {
    const traits = (await this.store.list(workspaceId)).map((t) => ({ name: t.name, definition: t.body }));
    if (traits.length === 0) return {};
    const q = compileComputedTraits({ traits, workspaceId, profileIds, now: Date.now(), propertyColumns: this.#propertyColumns });
    const [row] = await this.#t.query(q.sql, q.params);
    return decodeComputedTraits(traits, row);
  }
}

export async function computedTraitRoutes(app: FastifyInstance, deps: { registry: TenantRegistry; computed: ComputedTraits }): Promise<void> {
  const { registry, computed } = deps;
  const { store } = computed;
  const workspaceOf = (req: FastifyRequest) => requireSecretKey(req, registry).workspaceId;
  const checkName = (all: StoredTrait[], name: string, selfId?: string) => {
    if (all.some((t) => t.name === name && t.id !== selfId)) {
      throw new ApiError('conflict', { message: `name: a computed trait named ${name} already exists.`, path: 'name' });
    }
  };

  app.post('/v1/computed-traits', async (req, reply) => {
    const workspaceId = workspaceOf(req);
    const input = parseInput(body, req.body);
    const all = await store.list(workspaceId);
    checkName(all, input.name);
    if (all.length >= MAX_COMPUTED_TRAITS) {
      throw new ApiError('invalid_request', { message: `A workspace has at most ${MAX_COMPUTED_TRAITS} computed traits.` });
    }
    reply.code(201);
    return view(await store.create(workspaceId, { name: input.name, description: input.description, body: input.definition }));
  });

  app.get('/v1/computed-traits', async (req) => ({ computedTraits: (await store.list(workspaceOf(req))).map(view) }));

  app.get('/v1/computed-traits/:id', async (req) => {
    const workspaceId = workspaceOf(req);
    return view(await store.require(workspaceId, parseInput(documentParams, req.params).id));
  });

  app.put('/v1/computed-traits/:id', async (req) => {
    const workspaceId = workspaceOf(req);
    const { id } = parseInput(documentParams, req.params);
    const input = parseInput(body, req.body);
    const previous = await store.require(workspaceId, id);
    checkName(await store.list(workspaceId), input.name, id);
    return view(await store.replace(workspaceId, previous, { name: input.name, description: input.description, body: input.definition }));
  });

  app.delete('/v1/computed-traits/:id', async (req, reply) => {
    const workspaceId = workspaceOf(req);
    await store.delete(workspaceId, await store.require(workspaceId, parseInput(documentParams, req.params).id));
    reply.code(204);
  });
}
