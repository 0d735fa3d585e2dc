import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';
import type { KeyRecord, TenantRegistry } from '../tenancy/registry.js';

/** The user name of an HTTP Basic header (Segment sends `base64(writeKey + ":")`). */
export function basicAuthUser(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 7 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}

export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

/** The record of a write key; a missing, revoked or non-write key is refused (401 invalid_write_key). */
export function writeKeyRecord(registry: TenantRegistry, key: string): KeyRecord {
  const record = registry.lookup(key);
  if (record === undefined || record.kind !== 'write') throw new ApiError('invalid_write_key');
  return record;
}

/**
 * Authenticates a read API request: a secret key as Bearer token. A write key
 * there is refused with 403 so that a key leaked from a web page can never read.
 */
export function requireSecretKey(req: FastifyRequest, registry: TenantRegistry): KeyRecord {
  const key = bearerToken(req.headers.authorization) ?? basicAuthUser(req.headers.authorization);
  if (key === undefined) throw new ApiError('missing_secret_key');
  const record = registry.lookup(key);
  if (record === undefined) throw new ApiError('invalid_secret_key');
  if (record.kind !== 'secret') throw new ApiError('write_key_not_allowed');
  return record;
}
