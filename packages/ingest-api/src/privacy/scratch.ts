import { quoteIdent } from '../storage/chdb-transport.js';
import type { ClickHouseTransport } from '../storage/transport.js';

export type ScratchKind = 'profile' | 'identifier' | 'message' | 'elsewhere' | 'text' | 'digits';

/**
 * The values an erasure deletes by, in an in-memory (Memory engine) table that
 * its statements read with `IN (SELECT …)`. ClickHouse records every mutation's
 * text (system.mutations and files beside the table's data) with bound
 * parameters substituted; through this table the recorded text names the
 * table, never an identifier, profile id or messageId. Nothing of it reaches
 * disk, and it is dropped when the erasure ends.
 */
export class ScratchSet {
  readonly #t: ClickHouseTransport;
  readonly #table: string;
  /** The name quoted for SQL text. */
  readonly #name: string;

  private constructor(transport: ClickHouseTransport, table: string) {
    this.#t = transport;
    this.#table = table;
    this.#name = quoteIdent(table);
  }

  /** Creates (or empties) the scratch table of a request. */
  static async create(transport: ClickHouseTransport, requestId: string): Promise<ScratchSet> {
    const set = new ScratchSet(transport, `privacy_scratch_${requestId.replace(/[^A-Za-z0-9_]/g, '_')}`);
    await transport.command(`CREATE TABLE IF NOT EXISTS ${set.#name} (kind LowCardinality(String), v String) ENGINE = Memory`);
    await transport.command(`TRUNCATE TABLE ${set.#name}`);
    return set;
  }

  async add(kind: ScratchKind, values: readonly string[]): Promise<void> {
    for (let i = 0; i < values.length; i += 50_000) {
      const chunk = values.slice(i, i + 50_000);
      await this.#t.insert({ table: this.#table, rows: chunk.map((v) => JSON.stringify({ kind, v })).join('\n') });
    }
  }

  /** A subquery listing the values of one kind, for `x IN <set>`. */
  set(kind: ScratchKind): string {
    return `(SELECT v FROM ${this.#name} WHERE kind = '${kind}')`;
  }

  /** The values of one kind as one Array(String) expression, for `arrayExists`. */
  array(kind: ScratchKind): string {
    return `(SELECT groupArray(v) FROM ${this.#name} WHERE kind = '${kind}')`;
  }

  async drop(): Promise<void> {
    await this.#t.command(`DROP TABLE IF EXISTS ${this.#name} SYNC`);
  }
}
