import {
  extractIdentifiers,
  normalizeIdentifier,
  type Identifier,
  type IdentityConfig,
  type ResolveInput,
} from '@cdp/identity-resolution';
import { isPlainObject } from '@cdp/protocol';
import type { ClickHouseTransport } from '../storage/transport.js';
import { saltedHash, type WorkspaceSalts } from './salts.js';

/** The alias readings of a previousId (see identity resolution: typed by what the store knows it as). */
const ALIAS_TYPES = ['user_id', 'anonymous_id'] as const;

/**
 * Identifiers of erased people, per workspace, as HMAC-SHA-256 (workspace
 * salt) of the normalized `type:value`: the list proves an identifier was
 * erased when it is presented again, without holding it. Loaded whole at start
 * (64 hex characters per identifier) and checked by the flusher before
 * identity resolution, where every identifier is already normalized.
 */
export class SuppressionList {
  readonly #t: ClickHouseTransport;
  readonly #salts: WorkspaceSalts;
  readonly #byWorkspace = new Map<string, Set<string>>();

  private constructor(transport: ClickHouseTransport, salts: WorkspaceSalts) {
    this.#t = transport;
    this.#salts = salts;
  }

  static async load(transport: ClickHouseTransport, salts: WorkspaceSalts): Promise<SuppressionList> {
    const list = new SuppressionList(transport, salts);
    for await (const line of transport.queryLines('SELECT workspace_id, hash FROM privacy_suppressions')) {
      const row = JSON.parse(line) as { workspace_id: string; hash: string };
      list.#set(row.workspace_id).add(row.hash);
    }
    return list;
  }

  #set(workspaceId: string): Set<string> {
    let set = this.#byWorkspace.get(workspaceId);
    if (set === undefined) this.#byWorkspace.set(workspaceId, (set = new Set()));
    return set;
  }

  /** False for workspaces that never erased anyone: the flusher then skips every check. */
  active(workspaceId: string): boolean {
    return (this.#byWorkspace.get(workspaceId)?.size ?? 0) > 0;
  }

  has(workspaceId: string, identifier: Identifier): boolean {
    const set = this.#byWorkspace.get(workspaceId);
    const salt = this.#salts.get(workspaceId);
    if (set === undefined || salt === undefined) return false;
    return set.has(suppressionHash(salt, identifier));
  }

  /** Adds identifiers (normalized), durably first; idempotent. Returns their hashes. */
  async add(options: { workspaceId: string; identifiers: readonly Identifier[]; requestId: string }): Promise<string[]> {
    const salt = await this.#salts.ensure(options.workspaceId);
    const hashes = [...new Set(options.identifiers.map((id) => suppressionHash(salt, id)))];
    if (hashes.length === 0) return hashes;
    const at = new Date().toISOString();
    await this.#t.insert({
      table: 'privacy_suppressions',
      rows: hashes
        .map((hash) => JSON.stringify({ workspace_id: options.workspaceId, hash, request_id: options.requestId, created_at: at }))
        .join('\n'),
    });
    const set = this.#set(options.workspaceId);
    for (const h of hashes) set.add(h);
    return hashes;
  }

  /**
   * True when a resolver input carries a suppressed identifier (its alias
   * previousId read as either type). `owned` identifiers belong to a live
   * profile and so cannot be suppressed (an erasure removes every identifier
   * of the person before the list is consulted again): they cost no hash.
   */
  suppressesInput(workspaceId: string, input: ResolveInput, config: IdentityConfig, owned: (id: Identifier) => boolean): boolean {
    for (const id of input.identifiers) if (!owned(id) && this.has(workspaceId, id)) return true;
    return input.previousId !== undefined && this.#suppressesAlias(workspaceId, input.previousId, config);
  }

  /** True when a raw payload (a dead letter) carries a suppressed identifier anywhere identity resolution would look. */
  suppressesPayload(workspaceId: string, payload: unknown, config: IdentityConfig): boolean {
    if (!isPlainObject(payload)) return false;
    // Read as an identify so traits.email / traits.phone count whatever the (possibly invalid) type.
    const { identifiers } = extractIdentifiers({ ...payload, type: 'identify' }, config);
    if (identifiers.some((id) => this.has(workspaceId, id))) return true;
    const previous = payload['previousId'];
    return (typeof previous === 'string' || typeof previous === 'number') && this.#suppressesAlias(workspaceId, String(previous), config);
  }

  #suppressesAlias(workspaceId: string, previousId: string, config: IdentityConfig): boolean {
    for (const type of ALIAS_TYPES) {
      const n = normalizeIdentifier(type, previousId, config);
      if (n.ok && this.has(workspaceId, n.identifier)) return true;
    }
    return false;
  }
}

export function suppressionHash(salt: Buffer, id: Identifier): string {
  return saltedHash(salt, `${id.type}:${id.value}`);
}
