import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { parseInput } from '../http/validation.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import type { PrivacyPolicies } from './policy.js';
import { applyRetention } from './retention.js';
import type { WorkspaceSalts } from './salts.js';
import { PRIVACY_SETTINGS_KEY, privacySettingsSchema } from './settings.js';

const params = z.object({ id: z.string().min(1).max(100) });

/** `GET`/`PUT /v1/admin/workspaces/{id}/privacy`: consent policy, PII controls, retention (admin scope). */
export function registerPrivacyAdmin(
  app: FastifyInstance,
  deps: { registry: TenantRegistry; transport: ClickHouseTransport; salts: WorkspaceSalts; policies: PrivacyPolicies },
): void {
  const { registry } = deps;
  const workspaceId = (input: unknown) => {
    const { id } = parseInput(params, input);
    if (registry.workspace(id) === undefined) throw new ApiError('not_found', { message: `No workspace ${id}.`, path: 'id' });
    return id;
  };

  app.get('/v1/admin/workspaces/:id/privacy', async (req) => ({ settings: deps.policies.settings(workspaceId(req.params)) }));

  // Replaces the whole configuration; a part left out is removed.
  app.put('/v1/admin/workspaces/:id/privacy', async (req) => {
    const id = workspaceId(req.params);
    const settings = parseInput(privacySettingsSchema, req.body ?? {});
    // The salt exists before any event is hashed with it.
    if ((settings.pii?.hash.length ?? 0) > 0) await deps.salts.ensure(id);
    const before = deps.policies.retention(id);
    await registry.putSetting(id, PRIVACY_SETTINGS_KEY, settings);
    const after = deps.policies.retention(id);
    if (after.eventsDays !== before.eventsDays || after.deadLettersDays !== before.deadLettersDays) {
      await applyRetention(deps.transport, id, after);
    }
    return { settings };
  });
}
