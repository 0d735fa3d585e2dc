import type { IdentityService } from '../identity/service.js';
import type { FlushPrivacy } from '../pipeline/plan.js';
import type { PrivacyPolicies } from './policy.js';
import type { SuppressionList } from './suppression.js';

/** What the flusher applies to each batch: retention stamps and suppression of dead letters. */
export function flushPrivacy(deps: { policies: PrivacyPolicies; suppression: SuppressionList; identity: IdentityService }): FlushPrivacy {
  return {
    retention: (workspaceId) => deps.policies.retention(workspaceId),
    suppressesDeadLetter(workspaceId, row) {
      if (!deps.suppression.active(workspaceId)) return false;
      let payload: unknown;
      try {
        payload = JSON.parse((JSON.parse(row) as { payload?: string }).payload ?? 'null');
      } catch {
        return false;
      }
      return deps.suppression.suppressesPayload(workspaceId, payload, deps.identity.workspace(workspaceId).config);
    },
  };
}
