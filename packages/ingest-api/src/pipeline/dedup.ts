import type { ClickHouseTransport } from '../storage/transport.js';

/**
 * Exactly-once by messageId. Recent ids are answered from memory (a bounded
 * insertion-ordered map); the rest from the `message_ids` ledger, which is
 * keyed (workspace_id, message_id) so a batch lookup is a primary-key read.
 * The ledger is written after the events it covers; a crash in between is
 * covered by the insert dedup tokens of the replayed batch.
 */
export class MessageIdDedup {
  // Two generations instead of an LRU: O(1) without per-insert iterator
  // allocation; remembers between capacity/2 and capacity recent ids.
  #current = new Set<string>();
  #previous = new Set<string>();
  readonly #capacity: number;
  readonly #transport: ClickHouseTransport;

  constructor(options: { transport: ClickHouseTransport; capacity: number }) {
    this.#transport = options.transport;
    this.#capacity = options.capacity;
  }

  /** Returns the keys (`workspace\nmessageId`) among `candidates` that were stored before. */
  async seen(candidates: ReadonlyMap<string, string[]>): Promise<Set<string>> {
    const seen = new Set<string>();
    for (const [workspace, ids] of candidates) {
      const unknown: string[] = [];
      for (const id of ids) {
        const key = dedupKey(workspace, id);
        if (this.#current.has(key) || this.#previous.has(key)) seen.add(key);
        else unknown.push(id);
      }
      if (unknown.length === 0) continue;
      const rows = await this.#transport.query<{ message_id: string }>(
        'SELECT message_id FROM message_ids WHERE workspace_id = {w:String} AND message_id IN {ids:Array(String)}',
        { w: workspace, ids: unknown },
      );
      for (const r of rows) seen.add(dedupKey(workspace, r.message_id));
    }
    return seen;
  }

  /** Records ids as stored (after their insert committed). */
  remember(keys: Iterable<string>): void {
    for (const key of keys) {
      this.#current.add(key);
      if (this.#current.size >= this.#capacity / 2) {
        this.#previous = this.#current;
        this.#current = new Set();
      }
    }
  }

  /** Forgets ids of a workspace (after an erasure deletes their events). */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      this.#current.delete(key);
      this.#previous.delete(key);
    }
  }
}

export function dedupKey(workspace: string, messageId: string): string {
  return `${workspace}\n${messageId}`;
}
