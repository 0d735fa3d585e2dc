import { createHmac, randomBytes } from 'node:crypto';
import type { ClickHouseTransport } from '../storage/transport.js';

/** HMAC-SHA-256 of `text` keyed by a workspace salt, hex. */
export function saltedHash(salt: Buffer, text: string): string {
  return createHmac('sha256', salt).update(text).digest('hex');
}

/**
 * One secret salt per workspace (32 random bytes), kept server-side in
 * `privacy_salts` and never returned by any API. It keys the hashes of PII
 * fields and of the suppression list, so neither can be reversed by hashing
 * guessed values without it. The first salt written for a workspace wins (two
 * processes racing to create one converge on the earliest).
 */
export class WorkspaceSalts {
  readonly #t: ClickHouseTransport;
  #salts = new Map<string, Buffer>();
  readonly #creating = new Map<string, Promise<Buffer>>();
  #refreshing: Promise<void> | undefined;

  private constructor(transport: ClickHouseTransport) {
    this.#t = transport;
  }

  static async load(transport: ClickHouseTransport): Promise<WorkspaceSalts> {
    const salts = new WorkspaceSalts(transport);
    await salts.refresh();
    return salts;
  }

  async refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const rows = await this.#t.query<{ workspace_id: string; salt: string }>(
          'SELECT workspace_id, argMin(salt, created_at) AS salt FROM privacy_salts GROUP BY workspace_id',
        );
        this.#salts = new Map(rows.map((r) => [r.workspace_id, Buffer.from(r.salt, 'hex')]));
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  get(workspaceId: string): Buffer | undefined {
    return this.#salts.get(workspaceId);
  }

  /** The workspace's salt, created on first use. */
  ensure(workspaceId: string): Promise<Buffer> {
    const known = this.#salts.get(workspaceId);
    if (known !== undefined) return Promise.resolve(known);
    let creating = this.#creating.get(workspaceId);
    if (creating === undefined) {
      creating = this.#create(workspaceId).finally(() => this.#creating.delete(workspaceId));
      this.#creating.set(workspaceId, creating);
    }
    return creating;
  }

  async #create(workspaceId: string): Promise<Buffer> {
    await this.#t.insert({
      table: 'privacy_salts',
      rows: JSON.stringify({ workspace_id: workspaceId, salt: randomBytes(32).toString('hex'), created_at: new Date().toISOString() }),
    });
    const [row] = await this.#t.query<{ salt: string }>(
      'SELECT argMin(salt, created_at) AS salt FROM privacy_salts WHERE workspace_id = {w:String}',
      { w: workspaceId },
    );
    const salt = Buffer.from(row?.salt ?? '', 'hex');
    if (salt.length === 0) throw new Error(`no salt stored for workspace ${workspaceId}`);
    this.#salts.set(workspaceId, salt);
    return salt;
  }
}
