import { normalizeIdentifier, type Identifier, type IdentityConfig } from '@cdp/identity-resolution';
import { ApiError } from '../http/api-error.js';

/**
 * A `<type>:<value>` request parameter, normalized exactly as at ingestion (so
 * "  Ana@Example.COM" means ana@example.com); a 400 naming `path` otherwise.
 */
export function identifierParam(text: string, config: IdentityConfig, path: string): Identifier {
  const colon = text.indexOf(':');
  const type = text.slice(0, colon);
  if (!config.types.has(type)) {
    throw new ApiError('invalid_request', {
      message: `${path}: unknown identifier type "${type}"; this workspace has ${[...config.types.keys()].join(', ')}`,
      path,
    });
  }
  const normalized = normalizeIdentifier(type, text.slice(colon + 1), config);
  if (!normalized.ok) {
    throw new ApiError('invalid_request', {
      message: `${path}: the ${type} is ${normalized.dropped.reason} (${normalized.dropped.detail})`,
      path,
    });
  }
  return normalized.identifier;
}
