import type { Logger } from 'pino';
import type { ClickHouseTransport } from '../storage/transport.js';
import { BloomFilter } from './bloom.js';

/**
 * Exactly-once by messageId. Recent ids are answered from memory (two
 * generations of sets); a Bloom filter over every id ever stored answers
 * "certainly new" for almost all others; only the remaining candidates (real
 * duplicates and ~1% false positives) are looked up in the `message_ids`
 * ledger, keyed (workspace_id, message_id). Until the filter is loaded from
 * the ledger at start, every unknown id is looked up. The ledger is written
 * after the events it covers; a crash in between is covered by the insert
 * dedup tokens of the replayed batch.
 */
export class MessageIdDedup {
  #current = new Set<string>();
  #previous = new Set<string>();
  readonly #capacity: number;
  readonly #transport: ClickHouseTransport;
  #bloom: BloomFilter | undefined;
  #loading: BloomFilter | undefined;
  #stopped = false;

  constructor(options: { transport: ClickHouseTransport; capacity: number }) {
    this.#transport = options.transport;
    this.#capacity = options.capacity;
  }

  /**
   * Loads the Bloom filter from the ledger (in the background at start). Ids
   * remembered meanwhile go into the filter being loaded, so none is missed.
   */
  async load(logger: Logger): Promise<void> {
    try {
      const [row] = await this.#transport.query<{ n: number }>('SELECT count() AS n FROM message_ids');
      const loading = new BloomFilter(Math.max(1_000_000, 2 * Number(row?.n ?? 0)));
      this.#loading = loading;
      for await (const line of this.#transport.queryLines('SELECT workspace_id, message_id FROM message_ids')) {
        if (this.#stopped) return;
        const r = JSON.parse(line) as { workspace_id: string; message_id: string };
        loading.add(dedupKey(r.workspace_id, r.message_id));
      }
      this.#bloom = loading;
      logger.info({ ids: Number(row?.n ?? 0), bytes: loading.bytes }, 'messageId filter loaded');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'messageId filter not loaded; every unknown id is looked up');
    } finally {
      this.#loading = undefined;
    }
  }

  /** Stops a load in progress (shutdown). */
  stop(): void {
    this.#stopped = true;
  }

  /** Returns the keys (`workspace\nmessageId`) among `candidates` that were stored before. */
  async seen(candidates: ReadonlyMap<string, string[]>): Promise<Set<string>> {
    const seen = new Set<string>();
    for (const [workspace, ids] of candidates) {
      const unknown: string[] = [];
      for (const id of ids) {
        const key = dedupKey(workspace, id);
        if (this.#current.has(key) || this.#previous.has(key)) seen.add(key);
        else if (this.#bloom === undefined || this.#bloom.mightContain(key)) unknown.push(id);
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

  /** Records ids as stored (their batch is planned; it is inserted before any later one). */
  remember(keys: Iterable<string>): void {
    for (const key of keys) {
      this.#current.add(key);
      this.#bloom?.add(key);
      this.#loading?.add(key);
      if (this.#current.size >= this.#capacity / 2) {
        this.#previous = this.#current;
        this.#current = new Set();
      }
    }
  }

  /** Forgets ids (after an erasure deleted their events); the filter keeps them as harmless false positives. */
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
