import type { ClickHouseTransport } from '../storage/transport.js';
import { chToIso } from '../storage/time.js';
import { generateKey, hashKey, keyPrefix, newId, type KeyKind } from './keys.js';

export interface KeyRecord {
  keyId: string;
  workspaceId: string;
  kind: KeyKind;
}

export interface Workspace {
  id: string;
  name: string;
  createdAt: string;
}

/** Per-workspace configuration, stored as JSON on the workspace row. Each feature owns its key. */
export type WorkspaceSettings = Readonly<Record<string, unknown>>;

export interface KeyInfo extends KeyRecord {
  prefix: string;
  createdAt: string;
  revoked: boolean;
}

interface KeyRow {
  key_hash: string;
  key_id: string;
  workspace_id: string;
  kind: KeyKind;
  prefix: string;
  created_at: string;
  revoked: number;
}

export const DEFAULT_WORKSPACE_ID = 'default';

function parseSettings(text: string): WorkspaceSettings {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as WorkspaceSettings) : {};
  } catch {
    return {};
  }
}
/** Key ids of the keys given by CDP_WRITE_KEY / CDP_SECRET_KEY; replaced when the variable changes. */
const ENV_KEY_ID: Record<KeyKind, string> = { write: 'key_env_write', secret: 'key_env_secret' };

/** Most write keys whose hashes are memoized (then the memo starts over). */
const WRITE_KEY_MEMO = 1_000;

/**
 * Workspaces and their keys, cached in memory (every request authenticates)
 * and persisted in ClickHouse. Only key hashes are stored. In memory, the
 * hash of each live write key presented lately is memoized by the key: a
 * SHA-256 per request cost ~8 µs here, and write keys are public (shipped in
 * apps and web pages). Secret keys and unknown keys are hashed every time.
 */
export class TenantRegistry {
  readonly #transport: ClickHouseTransport;
  #keys = new Map<string, KeyInfo>();
  readonly #writeKeyHashes = new Map<string, string>();
  #workspaces = new Map<string, Workspace>();
  #settings = new Map<string, { settings: WorkspaceSettings; version: number }>();

  private constructor(transport: ClickHouseTransport) {
    this.#transport = transport;
  }

  static async load(transport: ClickHouseTransport): Promise<TenantRegistry> {
    const r = new TenantRegistry(transport);
    await r.refresh();
    return r;
  }

  /** Reloads from the store (other instances may have created keys). */
  async refresh(): Promise<void> {
    const [workspaces, keys] = await Promise.all([
      this.#transport.query<{ id: string; name: string; created_at: string; settings: string; version: number }>(
        'SELECT id, name, created_at, settings, version FROM workspaces FINAL WHERE deleted = 0',
      ),
      this.#transport.query<KeyRow>(
        'SELECT key_hash, key_id, workspace_id, kind, prefix, created_at, revoked FROM api_keys FINAL',
      ),
    ]);
    this.#workspaces = new Map(workspaces.map((w) => [w.id, { id: w.id, name: w.name, createdAt: chToIso(w.created_at) }]));
    this.#settings = new Map(
      workspaces.map((w) => [w.id, { settings: parseSettings(w.settings), version: Number(w.version) }]),
    );
    this.#keys = new Map(
      keys.map((k) => [
        k.key_hash,
        {
          keyId: k.key_id,
          workspaceId: k.workspace_id,
          kind: k.kind,
          prefix: k.prefix,
          createdAt: chToIso(k.created_at),
          revoked: Number(k.revoked) === 1,
        },
      ]),
    );
  }

  /** The live key record for a presented key, if any. */
  lookup(key: string): KeyRecord | undefined {
    const known = this.#writeKeyHashes.get(key);
    const hash = known ?? hashKey(key);
    const info = this.#keys.get(hash);
    if (info === undefined || info.revoked || !this.#workspaces.has(info.workspaceId)) return undefined;
    if (known === undefined && info.kind === 'write') {
      if (this.#writeKeyHashes.size >= WRITE_KEY_MEMO) this.#writeKeyHashes.clear();
      this.#writeKeyHashes.set(key, hash);
    }
    return info;
  }

  workspace(id: string): Workspace | undefined {
    return this.#workspaces.get(id);
  }

  listWorkspaces(): Workspace[] {
    return [...this.#workspaces.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  listKeys(workspaceId: string): KeyInfo[] {
    return [...this.#keys.values()].filter((k) => k.workspaceId === workspaceId);
  }

  async createWorkspace(options: { name: string; id?: string }): Promise<{ workspace: Workspace; writeKey: string; secretKey: string }> {
    const workspace = await this.#putWorkspace(options.id ?? newId('ws_'), options.name);
    const writeKey = await this.createKey({ workspaceId: workspace.id, kind: 'write' });
    const secretKey = await this.createKey({ workspaceId: workspace.id, kind: 'secret' });
    return { workspace, writeKey: writeKey.key, secretKey: secretKey.key };
  }

  async #putWorkspace(id: string, name: string, createdAt = new Date().toISOString(), settings: WorkspaceSettings = {}): Promise<Workspace> {
    const version = Math.max(Date.now(), (this.#settings.get(id)?.version ?? 0) + 1);
    await this.#transport.insert({
      table: 'workspaces',
      rows: JSON.stringify({ id, name, created_at: createdAt, settings: JSON.stringify(settings), deleted: 0, version }),
    });
    const workspace = { id, name, createdAt };
    this.#workspaces.set(id, workspace);
    this.#settings.set(id, { settings, version });
    return workspace;
  }

  /** A workspace's settings and their version (changes whenever they are written). */
  settings(workspaceId: string): { settings: WorkspaceSettings; version: number } {
    return this.#settings.get(workspaceId) ?? { settings: {}, version: 0 };
  }

  /** Replaces one top-level key of a workspace's settings. */
  async putSetting(workspaceId: string, key: string, value: unknown): Promise<void> {
    const ws = this.#workspaces.get(workspaceId);
    if (ws === undefined) throw new Error(`no workspace ${workspaceId}`);
    const next: Record<string, unknown> = { ...this.settings(workspaceId).settings };
    if (value === undefined) delete next[key];
    else next[key] = value;
    await this.#putWorkspace(ws.id, ws.name, ws.createdAt, next);
  }

  /** Creates a key; the plain key is returned once and never stored. */
  async createKey(options: { workspaceId: string; kind: KeyKind; key?: string; keyId?: string }): Promise<KeyRecord & { key: string }> {
    const key = options.key ?? generateKey(options.kind);
    const info: KeyInfo = {
      keyId: options.keyId ?? newId('key_'),
      workspaceId: options.workspaceId,
      kind: options.kind,
      prefix: keyPrefix(key),
      createdAt: new Date().toISOString(),
      revoked: false,
    };
    await this.#writeKey(hashKey(key), info);
    return { keyId: info.keyId, workspaceId: info.workspaceId, kind: info.kind, key };
  }

  /** Revokes a key by id; returns false when no live key has that id in the workspace. */
  async revokeKey(options: { workspaceId: string; keyId: string }): Promise<boolean> {
    let found = false;
    for (const [hash, info] of this.#keys) {
      if (info.keyId !== options.keyId || info.workspaceId !== options.workspaceId || info.revoked) continue;
      await this.#writeKey(hash, { ...info, revoked: true });
      found = true;
    }
    return found;
  }

  async #writeKey(hash: string, info: KeyInfo): Promise<void> {
    await this.#transport.insert({
      table: 'api_keys',
      rows: JSON.stringify({
        key_hash: hash,
        key_id: info.keyId,
        workspace_id: info.workspaceId,
        kind: info.kind,
        prefix: info.prefix,
        created_at: info.createdAt,
        revoked: info.revoked ? 1 : 0,
        // Version by time plus a revoked bit so a revoke written in the same ms still wins.
        version: Date.now() * 2 + (info.revoked ? 1 : 0),
      }),
    });
    this.#keys.set(hash, info);
  }

  /**
   * Makes the keys given in the environment valid for the `default` workspace,
   * creating it if needed; a previous env key of the same kind is revoked.
   */
  async ensureEnvKeys(keys: { writeKey?: string | undefined; secretKey?: string | undefined }): Promise<void> {
    if (keys.writeKey === undefined && keys.secretKey === undefined) return;
    if (!this.#workspaces.has(DEFAULT_WORKSPACE_ID)) await this.#putWorkspace(DEFAULT_WORKSPACE_ID, 'Default');
    for (const kind of ['write', 'secret'] as const) {
      const key = kind === 'write' ? keys.writeKey : keys.secretKey;
      if (key === undefined) continue;
      const hash = hashKey(key);
      const existing = this.#keys.get(hash);
      if (existing !== undefined && existing.workspaceId !== DEFAULT_WORKSPACE_ID) {
        throw new Error(`the ${kind} key from the environment already belongs to workspace ${existing.workspaceId}`);
      }
      for (const [h, info] of this.#keys) {
        if (info.keyId === ENV_KEY_ID[kind] && h !== hash && !info.revoked) await this.#writeKey(h, { ...info, revoked: true });
      }
      if (existing === undefined || existing.revoked || existing.kind !== kind) {
        await this.createKey({ workspaceId: DEFAULT_WORKSPACE_ID, kind, key, keyId: ENV_KEY_ID[kind] });
      }
    }
  }
}
